// The repository metadata cache as an attack surface (issue 23): anyone who can write under
// /var/cache/zypp/raw controls what the repositories collector parses. Each attack of the issue's
// table is generated here (gzip with node's zlib, createrepo_c-like XML) and put in place of the
// Live Patching repository's primary file of a fixture host; the built exporter runs as a real
// process, and its peak RSS (VmHWM), its CPU time and the latency of /-/healthy and /metrics
// during the refresh are measured against the goals: ≤ 300 MB peak RSS, work proportional to
// the file's size with an early refusal, 100 ms p99, and a bad file not read again until it changes.

import { afterAll, describe, expect, it } from '@jest/globals';
import { once } from 'node:events';
import { createWriteStream, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { constants, createGzip, gzipSync } from 'node:zlib';
import { freePort } from '../helpers/as-user.js';
import { startExporter, type ExporterProcess } from '../helpers/exporter-process.js';
import { copyScenario } from '../helpers/fixture-host.js';
import { rawCacheDir } from '../helpers/repo-fixtures.js';

const LP = 'kernel-livepatch-6_4_0-150600_23_25-default';
const LP_ALIAS = 'SLE_Module_Live_Patching_15_SP6_x86_64:SLE-Module-Live-Patching15-SP6-Updates';
const HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<metadata xmlns="http://linux.duke.edu/metadata/common" xmlns:rpm="http://linux.duke.edu/metadata/rpm" packages="0">\n';

/** The goals of issue 23. */
const MAX_PEAK_RSS_MIB = 300;
const MAX_P99_MS = 100;

/**
 * The latency goal on this machine: 100 ms, or twice what the idle exporter achieves in the same
 * run when the machine is so loaded that an idle server misses 100 ms (a test machine shared by
 * several jobs; a parse that holds the event loop shows as seconds, not as twice the idle figure).
 */
const latencyGoal = (idleP99: number) => Math.max(MAX_P99_MS, 2 * idleP99);

const bases: string[] = [];
afterAll(() => {
  for (const b of bases) rmSync(b, { recursive: true, force: true });
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A copy of the update-available host; returns it and the path of its Live Patching primary file. */
function host() {
  const { scenario, base } = copyScenario('sles15sp6-repo-update-available');
  bases.push(base);
  const repodata = path.join(rawCacheDir(scenario.root, LP_ALIAS), 'repodata');
  const primary = path.join(
    repodata,
    readdirSync(repodata).find((n) => n.endsWith('-primary.xml.gz'))!,
  );
  return { scenario, primary, repomd: path.join(repodata, 'repomd.xml') };
}

/** Write gzip data generated piece by piece (never the whole text in memory). */
async function writeGzip(file: string, pieces: Iterable<string>, level = 6): Promise<void> {
  const gz = createGzip({ level, memLevel: 9, strategy: constants.Z_DEFAULT_STRATEGY });
  const out = createWriteStream(file);
  gz.pipe(out);
  for (const p of pieces) if (!gz.write(p)) await once(gz, 'drain');
  gz.end();
  await once(out, 'finish');
}

/** Peak RSS (MiB) and CPU time (s) of a process so far. */
function usage(pid: number): { peakMiB: number; cpuS: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of /proc/<pid>/stat, in clock ticks (100 a second on Linux).
  return { peakMiB: Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) / 1024, cpuS: (Number(f[11]) + Number(f[12])) / 100 };
}

interface Got {
  status: number;
  body: string;
  ms: number;
}

function get(url: string, timeoutMs = 20_000): Promise<Got> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, ms: performance.now() - t0 }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ status: 0, body: '', ms: performance.now() - t0 }));
  });
}

const p99 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.99))]!;
const successOf = (body: string) => /^klp_scrape_collector_success\{collector="repositories"\} (\d)$/m.exec(body)?.[1];

interface Watch {
  /** The scrape that had the repositories collector's outcome, when there was one before the deadline. */
  readonly scrape: Got | undefined;
  readonly healthMs: number[];
  readonly metricsMs: number[];
}

/**
 * Probe /-/healthy and /metrics every 10 ms until a scrape has `done` (or `withinMs` passes), and
 * for `minMs` at least (enough answers for a 99th percentile that is not just the slowest one):
 * the latencies of both during the refresh.
 */
async function watch(p: ExporterProcess, done: (g: Got) => boolean, withinMs: number, minMs = 0): Promise<Watch> {
  const healthMs: number[] = [];
  const metricsMs: number[] = [];
  let scrape: Got | undefined;
  const start = Date.now();
  const until = start + withinMs;
  const going = () => (!scrape || Date.now() < start + minMs) && Date.now() < until;
  const health = (async () => {
    while (going()) {
      healthMs.push((await get(`${p.url}/-/healthy`, 30_000)).ms);
      await sleep(10);
    }
  })();
  while (going()) {
    const g = await get(`${p.url}/metrics`, 30_000);
    metricsMs.push(g.ms);
    if (!scrape && g.status === 200 && done(g)) scrape = g;
    await sleep(10);
  }
  await health;
  return { scrape, healthMs, metricsMs };
}

interface Attack {
  readonly name: string;
  /** Write the attacker's primary file. */
  readonly write: (file: string) => Promise<void>;
  /** What the refusal says. */
  readonly refusal: RegExp;
  /** Most CPU seconds the exporter may spend (start-up included). */
  readonly maxCpuS: number;
}

const ATTACKS: readonly Attack[] = [
  {
    // The file had 10.6 million (31 MB); a million is enough to exceed the goal today (≈ 0.4 GB).
    name: "a primary whose million <package>s are all the running kernel's live patch",
    write: (file) =>
      writeGzip(
        file,
        (function* () {
          yield HEAD;
          for (let i = 0; i < 1_000_000; i += 1000) {
            let s = '';
            for (let j = i; j < i + 1000; j++) s += `<package type="rpm"><name>${LP}</name><arch>x86_64</arch><version epoch="0" ver="${j + 10}" rel="1.1"/></package>\n`;
            yield s;
          }
          yield '</metadata>\n';
        })(),
        1,
      ),
    refusal: new RegExp(`more than \\d+ packages named ${LP}`),
    maxCpuS: 2,
  },
  {
    name: 'a primary of 29 KB: 10 million nested elements',
    write: async (file) => {
      writeFileSync(file, gzipSync(HEAD + '<package>' + '<a>'.repeat(10_000_000), { level: 9 }));
    },
    refusal: /elements nested deeper than 32/,
    maxCpuS: 2,
  },
  {
    name: 'a primary of 41 KB: nested elements with attributes',
    write: async (file) => {
      writeFileSync(file, gzipSync(HEAD + '<package>' + '<a b="c">'.repeat(5_000_000), { level: 9 }));
    },
    refusal: /elements nested deeper than 32/,
    maxCpuS: 2,
  },
  {
    // 15 MB → 4.2 GiB in the issue: gzip members of 64 MiB of well-formed packages of another name,
    // concatenated (a valid multi-member gzip file).
    name: 'a gzip bomb: 15 MB of gzip that decompresses to 4.2 GiB of valid XML',
    write: async (file) => {
      const pkg = '<package type="rpm"><name>x</name><arch>x86_64</arch><version epoch="0" ver="1" rel="1"/></package>\n';
      const member = gzipSync(pkg.repeat(Math.floor((64 * 1024 * 1024) / pkg.length)), { level: 9 });
      writeFileSync(file, Buffer.concat([gzipSync(HEAD), ...Array.from({ length: 67 }, () => member)]));
    },
    refusal: /compression ratio/,
    maxCpuS: 2,
  },
];

/** Start the exporter on a fresh copy of the host, and wait for its first answer (live patch 4 offered). */
async function started(extra: readonly string[] = []) {
  const h = host();
  const p = await startExporter(h.scenario, await freePort(), extra);
  const first = await watch(p, (g) => version(g) === '4', 20_000);
  expect(first.scrape).toBeDefined();
  return { h, p };
}

const version = (g: Got) => /^klp_patch_available_version (\d+)$/m.exec(g.body)?.[1];

/** The repository is "refreshed": repomd.xml touched, so the next scrape starts a refresh. */
function touch(file: string, ahead = 5): void {
  const t = Date.now() / 1000 + ahead;
  utimesSync(file, t, t);
}

describe('hostile repository metadata (issue 23): bounded, responsive, not read again until it changes', () => {
  it.each(ATTACKS)(
    '$name: refused early, peak RSS and CPU bounded, /-/healthy and /metrics answer within 100 ms p99',
    async ({ write, refusal, maxCpuS }) => {
      const { h, p } = await started();
      try {
        await write(h.primary);
        const idle = await watch(p, () => true, 3000, 3000);
        const before = usage(p.child.pid!);
        touch(h.repomd);
        const w = await watch(p, (g) => successOf(g.body) === '0', 20_000, 3000);
        const u = usage(p.child.pid!);
        const cpuS = u.cpuS - before.cpuS;
        process.stdout.write(
          `peak RSS ${u.peakMiB.toFixed(0)} MiB, CPU of the refresh ${cpuS.toFixed(2)} s, /-/healthy p99 ${p99(w.healthMs).toFixed(1)} ms (${w.healthMs.length}; idle ${p99(idle.healthMs).toFixed(1)}), /metrics p99 ${p99(w.metricsMs).toFixed(1)} ms (${w.metricsMs.length}; idle ${p99(idle.metricsMs).toFixed(1)})\n`,
        );
        expect(w.scrape).toBeDefined();
        // Nothing made up from the attacker's file, and the refusal named in the log.
        expect(version(w.scrape!)).toBeUndefined();
        expect(p.stderr()).toMatch(refusal);
        expect(u.peakMiB).toBeLessThanOrEqual(MAX_PEAK_RSS_MIB);
        expect(cpuS).toBeLessThanOrEqual(maxCpuS);
        expect(p99(w.healthMs)).toBeLessThanOrEqual(latencyGoal(p99(idle.healthMs)));
        expect(p99(w.metricsMs)).toBeLessThanOrEqual(latencyGoal(p99(idle.metricsMs)));
        expect(p.child.exitCode).toBeNull();
      } finally {
        await p.stop();
      }
    },
    60_000,
  );

  it('a refused file is not read again until it changes, however often the cache recomputes; the failure stays visible, logged once', async () => {
    // Recompute as often as possible: every second (a failure is retried after min(max-age, 60 s)).
    const { h, p } = await started(['--cache.max-age=1s']);
    try {
      await ATTACKS[3]!.write(h.primary);
      touch(h.repomd);
      const first = await watch(p, (g) => successOf(g.body) === '0', 20_000);
      expect(first.scrape).toBeDefined();
      // The other repository is still read; the refused one has no metadata age (nothing reliable).
      const age = (alias: string) => new RegExp(`^klp_repository_metadata_age_seconds\\{repository="${alias.replace(/[.]/g, '\\.')}"\\} `, 'm');
      expect(first.scrape!.body).toMatch(age('Basesystem_Module_15_SP6_x86_64:SLE-Module-Basesystem15-SP6-Updates'));
      expect(first.scrape!.body).not.toMatch(age(LP_ALIAS));
      const before = usage(p.child.pid!);
      // Six recomputes: scrape every 250 ms for 6 s.
      for (const until = Date.now() + 6000; Date.now() < until; await sleep(250)) expect(successOf((await get(`${p.url}/metrics`)).body)).toBe('0');
      const after = usage(p.child.pid!);
      const refusals = p.stderr().match(/compression ratio/g) ?? [];
      process.stdout.write(`CPU over 6 s of recomputes: ${(after.cpuS - before.cpuS).toFixed(2)} s, ${refusals.length} log line(s) of the refusal\n`);
      // Reading the bomb up to its refusal costs more than this; 24 scrapes and 6 recomputes of the rest do not.
      expect(after.cpuS - before.cpuS).toBeLessThan(1.5);
      expect(refusals).toHaveLength(1);
      // The file changes (size, mtime, inode; repomd.xml untouched): it is read again at the next recompute.
      await ATTACKS[1]!.write(h.primary);
      touch(h.primary, 10);
      const again = await watch(p, () => /elements nested deeper than 32/.test(p.stderr()), 20_000);
      expect(again.scrape).toBeDefined();
      expect(successOf(again.scrape!.body)).toBe('0');
    } finally {
      await p.stop();
    }
  }, 60_000);

  it('while a large valid primary is parsed after a refresh, /-/healthy and /metrics (the previous result) answer within 100 ms p99', async () => {
    const { h, p } = await started();
    try {
      const idle = await watch(p, () => true, 3000, 3000);
      // The repository is refreshed: 300,000 other packages (≈ 100 MB of XML) and live patch 7.
      await writeGzip(
        h.primary,
        (function* () {
          yield HEAD;
          for (let i = 0; i < 300_000; i += 1000) {
            let s = '';
            for (let j = i; j < i + 1000; j++) {
              s += `<package type="rpm"><name>filler-${j}</name><arch>x86_64</arch><version epoch="0" ver="1.${j % 97}" rel="150600.1.1"/><checksum type="sha256" pkgid="YES">${'0'.repeat(64)}</checksum>`;
              s += `<summary>Filler ${j}</summary><description>${'Generated filler for the responsiveness test. '.repeat(4)}</description><format><rpm:provides><rpm:entry name="filler-${j}" flags="EQ" epoch="0" ver="1" rel="1"/></rpm:provides></format></package>\n`;
            }
            yield s;
          }
          yield `<package type="rpm"><name>${LP}</name><arch>x86_64</arch><version epoch="0" ver="7" rel="150600.13.21.1"/></package>\n</metadata>\n`;
        })(),
        1,
      );
      touch(h.repomd);
      const w = await watch(p, (g) => version(g) === '7', 40_000, 3000);
      process.stdout.write(
        `during the refresh: /-/healthy p99 ${p99(w.healthMs).toFixed(1)} ms (${w.healthMs.length}; idle ${p99(idle.healthMs).toFixed(1)}), /metrics p99 ${p99(w.metricsMs).toFixed(1)} ms (${w.metricsMs.length}; idle ${p99(idle.metricsMs).toFixed(1)})\n`,
      );
      expect(w.scrape).toBeDefined();
      expect(w.metricsMs.length).toBeGreaterThan(5);
      expect(p99(w.healthMs)).toBeLessThanOrEqual(latencyGoal(p99(idle.healthMs)));
      expect(p99(w.metricsMs)).toBeLessThanOrEqual(latencyGoal(p99(idle.metricsMs)));
      expect(usage(p.child.pid!).peakMiB).toBeLessThanOrEqual(MAX_PEAK_RSS_MIB);
    } finally {
      await p.stop();
    }
  }, 90_000);
});
