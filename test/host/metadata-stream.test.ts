// The streaming reader of repository metadata: compression by magic bytes, corrupt and truncated
// data, limits, and the event loop staying free while a large file is parsed.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { FileReadError } from '../../src/errors.js';
import { detectCompression, streamTextFile, METADATA_LIMITS } from '../../src/host/metadata-stream.js';
import { PrimaryScanner } from '../../src/parsers/rpm-md.js';
import { largePrimary } from '../helpers/repo-fixtures.js';
import { which } from '../helpers/rpm-repo.js';

const XML = `<?xml version="1.0" encoding="UTF-8"?>\n<metadata packages="1"><package type="rpm"><name>kernel-livepatch-x</name><arch>x86_64</arch><version epoch="0" ver="4" rel="1.1"/><description>Grüße ✓</description></package></metadata>\n`;

let dir: string;
const put = (name: string, data: Buffer | string) => {
  const p = path.join(dir, name);
  writeFileSync(p, data);
  return p;
};
const compress = (tool: string, args: string[], data: string) => execFileSync(which(tool, tool), args, { input: data });

async function readAll(p: string, limits = METADATA_LIMITS): Promise<{ text: string; compression: string }> {
  let text = '';
  const r = await streamTextFile(p, (t) => (text += t), limits);
  return { text, compression: r.compression };
}

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'klp-stream-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('streamTextFile', () => {
  it('reads plain, gzip and zstd files to the same text', async () => {
    expect(await readAll(put('p.xml', XML))).toEqual({ text: XML, compression: 'none' });
    expect(await readAll(put('p.xml.gz', gzipSync(XML)))).toEqual({ text: XML, compression: 'gzip' });
    expect(await readAll(put('p.xml.zst', compress('zstd', ['-q', '-19', '-c'], XML)))).toEqual({ text: XML, compression: 'zstd' });
  });

  it('decides by content, not by file name', async () => {
    expect((await readAll(put('misnamed.xml.zst', gzipSync(XML)))).compression).toBe('gzip');
  });

  it('reads a multi-frame zstd file and a large one in pieces', async () => {
    const big = XML.repeat(5000);
    const frames = Buffer.concat([compress('zstd', ['-q', '-c'], big), compress('zstd', ['-q', '-c'], big)]);
    expect((await readAll(put('multi.zst', frames))).text).toBe(big + big);
  });

  it.each([
    ['xz', () => compress('xz', ['-c'], XML), /xz compression is not supported/],
    ['bzip2', () => Buffer.from('BZh91AY&SY'), /bzip2 compression is not supported/],
    ['zchunk', () => Buffer.from('\0ZCK1rest'), /zchunk compression is not supported/],
    ['binary garbage', () => Buffer.from([1, 2, 3, 4, 5]), /neither XML nor a known compression/],
    ['an empty file', () => Buffer.alloc(0), /empty file/],
    ['truncated gzip', () => gzipSync(XML.repeat(50)).subarray(0, 60), /corrupt or truncated gzip data/],
    ['corrupt gzip', () => Buffer.concat([gzipSync(XML).subarray(0, 12), Buffer.alloc(40, 0xff)]), /corrupt or truncated gzip data/],
    ['truncated zstd', () => compress('zstd', ['-q', '-c'], XML.repeat(50)).subarray(0, 30), /corrupt or truncated zstd data/],
    ['invalid UTF-8', () => Buffer.concat([Buffer.from('<metadata>'), Buffer.from([0xc3, 0x28]), Buffer.from('</metadata>')]), /not valid UTF-8/],
  ])('fails with a clear error on %s', async (_what, make, re) => {
    const p = put(`bad-${_what.replace(/\W/g, '')}`, make());
    await expect(readAll(p)).rejects.toThrow(FileReadError);
    await expect(readAll(p)).rejects.toThrow(re);
  });

  it('refuses files and contents over the limits (decompression bombs)', async () => {
    const bomb = put('bomb.gz', gzipSync(Buffer.alloc(20 * 1024 * 1024, 0x20)));
    await expect(readAll(bomb, { ...METADATA_LIMITS, maxContentBytes: 1024 * 1024 })).rejects.toThrow(/decompresses to more than 1048576 bytes/);
    await expect(readAll(bomb, { ...METADATA_LIMITS, maxFileBytes: 1000 })).rejects.toThrow(/larger than 1000 bytes/);
  });

  it.each([
    ['gzip', () => gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x20), { level: 9 })],
    ['zstd', () => compress('zstd', ['-q', '-19', '-c'], ' '.repeat(64 * 1024 * 1024))],
  ])('refuses a %s bomb by its compression ratio after a few MiB, long before the size limit', async (kind, make) => {
    const p = put(`ratio-bomb.${kind}`, make());
    let seen = 0;
    const err = await streamTextFile(p, (t) => void (seen += t.length)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FileReadError);
    expect(String(err)).toMatch(/compression ratio above 100:1/);
    // Refused once past ratioAfterBytes (4 MiB), with at most a few pieces more decoded.
    expect(seen).toBeGreaterThanOrEqual(METADATA_LIMITS.ratioAfterBytes);
    expect(seen).toBeLessThan(METADATA_LIMITS.ratioAfterBytes + 8 * 1024 * 1024);
  });

  it('accepts real ratios: a file compressed 22× is read whole', async () => {
    // Filler packages shaped like createrepo_c's (test/helpers/repo-fixtures.ts), whose gzip compresses about 22×.
    const text = largePrimary(XML, 3000);
    const data = gzipSync(text);
    expect(text.length / data.length).toBeGreaterThan(15);
    expect((await readAll(put('real-ratio.gz', data))).text).toBe(text);
  });

  it('refuses what is not a regular file (a FIFO cannot hang it)', async () => {
    const fifo = path.join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    await expect(readAll(fifo)).rejects.toThrow(/not a regular file/);
    await expect(readAll(dir)).rejects.toThrow(/is a directory/);
    await expect(readAll(path.join(dir, 'missing'))).rejects.toThrow(/no such file/);
  });

  it("passes the parser's own errors through unchanged", async () => {
    const scanner = new PrimaryScanner('p', new Set(['x']));
    const p = put('updates.xml.gz', gzipSync('<updates/>'));
    await expect(streamTextFile(p, (t) => scanner.write(t))).rejects.toThrow(/not a primary.xml/);
  });

  it('yields to the event loop while parsing a large file', async () => {
    const entry = XML.slice(XML.indexOf('<package'), XML.indexOf('</metadata>'));
    const fillers = Array.from({ length: 60_000 }, (_, i) => entry.replace('kernel-livepatch-x', `filler-${i}`));
    const big = `<metadata>${fillers.join('')}${entry}</metadata>`; // ~13 MB, one wanted package at the end
    for (const [name, data] of [
      ['big.gz', gzipSync(big)],
      ['big.zst', compress('zstd', ['-q', '-c'], big)],
    ] as const) {
      const p = put(name, data);
      const scanner = new PrimaryScanner(name, new Set(['kernel-livepatch-x']));
      let ticks = 0;
      let longest = 0;
      let last = performance.now();
      const timer = setInterval(() => {
        const now = performance.now();
        longest = Math.max(longest, now - last);
        last = now;
        ticks++;
      }, 1);
      try {
        // Its 60,000 near-identical entries compress 200× with zstd, beyond any real metadata: no ratio limit here.
        await streamTextFile(p, (t) => scanner.write(t), { ...METADATA_LIMITS, maxRatio: Infinity });
        scanner.end();
      } finally {
        clearInterval(timer);
      }
      expect(scanner.count).toBe(60_001);
      expect(scanner.packages).toHaveLength(1);
      // Timers ran all along: the parse is sliced, not one long synchronous block. The 50 ms bound
      // of /-/healthy is measured by the benchmark, on a quiet machine (docs/benchmarks.md).
      expect(ticks).toBeGreaterThan(5);
      expect(longest).toBeLessThan(1000);
    }
  }, 60_000);
});

describe('detectCompression', () => {
  it.each([
    [[0x1f, 0x8b, 8], 'gzip'],
    [[0x28, 0xb5, 0x2f, 0xfd], 'zstd'],
    [[0xef, 0xbb, 0xbf, 0x3c], 'none'],
    [[0x20, 0x0a, 0x3c], 'none'],
  ])('%j → %s', (bytes, kind) => {
    expect(detectCompression(Uint8Array.from(bytes), 'f')).toBe(kind);
  });
});
