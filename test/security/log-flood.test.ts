// Logs cannot be flooded (issue 23): the same line from the same cause is written at most once a
// minute, and the next time it is written it says how many were left out; lines about different
// causes stay separate. The logger does it, so every caller gets it: here a flood of reloads on
// the real process, and the logger itself with a controlled clock.

import { afterAll, describe, expect, it } from '@jest/globals';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort } from '../helpers/as-user.js';
import { startExporter, type ExporterProcess } from '../helpers/exporter-process.js';
import { copyScenario } from '../helpers/fixture-host.js';
import { createLogger, REPEAT_INTERVAL_MS } from '../../src/log.js';

const cleanups: Array<() => unknown> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** A logger writing into an array, with a clock the test moves. */
function logger() {
  const lines: string[] = [];
  let t = 1_000;
  const log = createLogger('debug', 'logfmt', (l) => void lines.push(l), { repeatIntervalMs: REPEAT_INTERVAL_MS, now: () => t });
  return { log, lines, advance: (ms: number) => (t += ms) };
}

describe('the logger writes the same line at most once a minute', () => {
  it('10,000 identical lines: one, then after the minute one with suppressed=10000 (all left out meanwhile)', () => {
    const { log, lines, advance } = logger();
    for (let i = 0; i < 10_000; i++) log.info('configuration reloaded, unchanged');
    expect(lines).toHaveLength(1);
    advance(REPEAT_INTERVAL_MS - 1);
    log.info('configuration reloaded, unchanged');
    expect(lines).toHaveLength(1);
    advance(1);
    log.info('configuration reloaded, unchanged');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/msg="configuration reloaded, unchanged" suppressed=10000\n$/);
    // The count starts again.
    advance(REPEAT_INTERVAL_MS);
    log.info('configuration reloaded, unchanged');
    expect(lines[2]).not.toContain('suppressed');
  });

  it('keys on the fields: errors about different files, collectors or levels stay separate', () => {
    const { log, lines } = logger();
    const a = log.child({ collector: 'repositories' });
    const b = log.child({ collector: 'lifecycle' });
    for (let i = 0; i < 100; i++) {
      a.error('collector failed', { err: '/etc/zypp/repos.d/a.repo: line 1: key outside of any section' });
      a.error('collector failed', { err: '/etc/zypp/repos.d/b.repo: line 1: key outside of any section' });
      b.error('collector failed', { err: '/etc/zypp/repos.d/a.repo: line 1: key outside of any section' });
      a.warn('collector failed', { err: '/etc/zypp/repos.d/a.repo: line 1: key outside of any section' });
    }
    expect(lines).toHaveLength(4);
  });

  it('below the level nothing is counted; a line left out does not delay a different one', () => {
    const { log, lines, advance } = logger();
    const quiet = createLogger('warn', 'logfmt', (l) => void lines.push(l), { repeatIntervalMs: REPEAT_INTERVAL_MS });
    for (let i = 0; i < 10; i++) quiet.info('x');
    expect(lines).toHaveLength(0);
    log.warn('x');
    advance(1000);
    log.warn('x');
    log.warn('y');
    expect(lines.map((l) => /msg=(\S+)/.exec(l)![1])).toEqual(['x', 'y']);
  });

  it('only the loggers that ask for it: without repeatIntervalMs every line is written', () => {
    const lines: string[] = [];
    const log = createLogger('info', 'logfmt', (l) => void lines.push(l));
    for (let i = 0; i < 10; i++) log.info('same');
    expect(lines).toHaveLength(10);
  });

  it('remembers a bounded number of lines: 100,000 distinct lines cost bounded memory and are all written', () => {
    const { log, lines } = logger();
    for (let i = 0; i < 100_000; i++) log.info('distinct', { n: i });
    expect(lines).toHaveLength(100_000);
  });
});

describe('POST /-/reload flood on the real process (issue 23: 15,266 log lines in 8 s)', () => {
  let p: ExporterProcess;
  it('3,000 reloads write at most one "configuration reloaded" line; a failing reload is said once too', async () => {
    const { scenario, base } = copyScenario('sles15sp6-patched');
    cleanups.push(() => rmSync(base, { recursive: true, force: true }));
    const config = path.join(base, 'config.yml');
    writeFileSync(config, 'log:\n  level: info\n');
    p = await startExporter(scenario, await freePort(), ['--web.enable-lifecycle', `--config.file=${config}`]);
    cleanups.push(() => p.stop());
    const flood = async (n: number) => {
      const statuses: number[] = [];
      for (let done = 0; done < n; done += 50) {
        const answers = await Promise.all(Array.from({ length: 50 }, () => fetch(`${p.url}/-/reload`, { method: 'POST' }).then((r) => (r.body?.cancel(), r.status))));
        statuses.push(...answers);
      }
      await new Promise((r) => setTimeout(r, 200));
      return statuses;
    };
    const lines = (re: RegExp) =>
      p
        .stderr()
        .split('\n')
        .filter((l) => re.test(l));
    const N = 3000;
    const ok = (await flood(N)).filter((s) => s === 200).length;
    const reloaded = lines(/msg="configuration reloaded/);
    process.stdout.write(`reload flood: ${N} POST /-/reload (${ok} answered 200), ${reloaded.length} log line(s) "configuration reloaded…"\n`);
    expect(ok).toBe(N);
    expect(reloaded).toHaveLength(1);
    writeFileSync(config, 'log: [\n');
    const failed = (await flood(1000)).filter((s) => s === 500).length;
    const failures = lines(/msg="configuration reload failed/);
    process.stdout.write(`reload flood with a broken config: 1000 POST /-/reload (${failed} answered 500), ${failures.length} log line(s)\n`);
    expect(failed).toBe(1000);
    expect(failures).toHaveLength(1);
    // The exporter still serves.
    expect((await fetch(`${p.url}/metrics`)).status).toBe(200);
  }, 60_000);
});
