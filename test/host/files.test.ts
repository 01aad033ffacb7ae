// Bounded reads of host files (src/host/files.ts): one read buffer serves every read, so a
// read must never see what an earlier, longer file left in it, and files larger than the buffer
// (lifecycle data) must come back whole.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FileReadError } from '../../src/errors.js';
import { readHostFile, readOptionalHostFile, SMALL_FILE_LIMIT } from '../../src/host/files.js';
import { hostMessage, hostView, resolveHostPaths } from '../../src/host/paths.js';

let dir: string;
const file = (name: string, content: string | Buffer) => {
  const p = path.join(dir, name);
  writeFileSync(p, content);
  return p;
};

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'klp-files-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readHostFile', () => {
  it('reads a short file after a longer one without any of the longer one', () => {
    expect(readHostFile(file('long', 'x'.repeat(5000)))).toBe('x'.repeat(5000));
    expect(readHostFile(file('short', '1\n'))).toBe('1\n');
    expect(readHostFile(file('empty', ''))).toBe('');
  });

  it('reads files up to the limit, and refuses one byte more', () => {
    expect(readHostFile(file('at-limit', 'a'.repeat(SMALL_FILE_LIMIT)))).toHaveLength(SMALL_FILE_LIMIT);
    expect(() => readHostFile(file('over-limit', 'a'.repeat(SMALL_FILE_LIMIT + 1)))).toThrow(/larger than 65536 bytes/);
    expect(() => readHostFile(file('over-small-limit', 'abcdef'), 5)).toThrow(FileReadError);
    expect(readHostFile(file('at-small-limit', 'abcde'), 5)).toBe('abcde');
  });

  it('reads files larger than its buffer whole, multi-byte characters across the seams included', () => {
    // "é" is two bytes: with an odd prefix, characters straddle every 64 KiB boundary.
    const text = `x${'é'.repeat(200_000)}\n`;
    expect(readHostFile(file('big', text), 1024 * 1024)).toBe(text);
    const exact = 'b'.repeat(2 * SMALL_FILE_LIMIT);
    expect(readHostFile(file('two-buffers', exact), 1024 * 1024)).toBe(exact);
    expect(() => readHostFile(file('big-over', 'c'.repeat(300_000)), 200_000)).toThrow(/larger than 200000 bytes/);
    expect(readHostFile(file('short-again', 'ok'))).toBe('ok');
  });

  it('refuses what is not a regular file, and tells a missing file from a broken one', () => {
    mkdirSync(path.join(dir, 'a-dir'));
    expect(() => readHostFile(path.join(dir, 'a-dir'))).toThrow(/is a directory/);
    execFileSync('mkfifo', [path.join(dir, 'fifo')]);
    expect(() => readHostFile(path.join(dir, 'fifo'))).toThrow(/not a regular file/);
    expect(readOptionalHostFile(path.join(dir, 'missing'))).toBeUndefined();
    expect(() => readOptionalHostFile(path.join(dir, 'a-dir'))).toThrow(FileReadError);
  });
});

describe('errors name host files as the host sees them', () => {
  it('a reported message names every path under the root as the host sees it, at path boundaries only', () => {
    const paths = resolveHostPaths({ rootfs: '/host', sysfs: '/sys', procfs: '/proc' });
    expect(hostMessage(paths, '/host/etc/missing: no such file')).toBe('/etc/missing: no such file');
    expect(hostMessage(paths, 'repository "a": /host/var/cache/zypp/raw/a/repodata/repomd.xml: too large')).toBe('repository "a": /var/cache/zypp/raw/a/repodata/repomd.xml: too large');
    // rpm's own stderr, two paths, and the root alone.
    expect(hostMessage(paths, 'error: cannot open Packages database in /host/var/lib/rpm (from /host)')).toBe('error: cannot open Packages database in /var/lib/rpm (from /)');
    // Not inside a longer name, nor a path that merely starts like the root.
    expect(hostMessage(paths, '/hostile/etc/x and /mnt/host/etc and /host.d/x')).toBe('/hostile/etc/x and /mnt/host/etc and /host.d/x');
    // A root with characters special to regular expressions.
    const odd = resolveHostPaths({ rootfs: '/tmp/a+b (1)', sysfs: '/sys', procfs: '/proc' });
    expect(hostMessage(odd, '/tmp/a+b (1)/etc/os-release: not a regular file')).toBe('/etc/os-release: not a regular file');
    expect(hostMessage(resolveHostPaths({ rootfs: '/', sysfs: '/sys', procfs: '/proc' }), '/etc/x')).toBe('/etc/x');
  });

  it('hostView strips the root only at a path boundary', () => {
    const paths = resolveHostPaths({ rootfs: '/host', sysfs: '/sys', procfs: '/proc' });
    expect(hostView(paths, '/host/etc/os-release')).toBe('/etc/os-release');
    expect(hostView(paths, '/host')).toBe('/');
    expect(hostView(paths, '/hostile/etc/os-release')).toBe('/hostile/etc/os-release');
    expect(hostView(paths, '/mnt/sys/kernel')).toBe('/mnt/sys/kernel');
  });
});
