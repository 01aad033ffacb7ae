// Commands that misbehave, run by the whole exporter: fake rpm, klp and zypper scripts on the
// fixture host's --exec.path that hang, ignore SIGTERM, leave a grandchild holding stdout open,
// print 100 MB, print garbage, or fail with a useful stderr. Each is killed or cut at the
// limits, leaves no process behind (checked in the process table by a marker in argv), and is
// reported: klp_scrape_collector_success 0 and a log line that says what happened. Scrapes never
// wait longer than their deadline.

import { afterAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseExposition } from '../helpers/exposition.js';
import { HOSTS, loadScenario, startInProcess, type RunningExporter, type Scenario } from '../helpers/fixture-host.js';

// Created at load time: concurrent tests start before beforeAll hooks run.
const dir = mkdtempSync(path.join(os.tmpdir(), 'klp-cmds-'));
let copies = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A copy of `host` whose `tool` is the shell script `body` (with a unique marker in argv). */
function hostWithTool(host: string, tool: string, body: (marker: string) => string): { s: Scenario; marker: string } {
  const name = `${host}-${++copies}`;
  cpSync(path.join(HOSTS, host), path.join(dir, name), { recursive: true });
  const s = loadScenario(name, dir);
  const marker = `98${process.pid % 1000}${copies}7`; // used as a sleep duration: unique in `ps`
  const p = path.join(s.bin, tool);
  unlinkSync(p);
  writeFileSync(p, `#!/bin/sh\n${body(marker)}\n`);
  chmodSync(p, 0o755);
  return { s, marker };
}

/** Processes whose command line contains the marker or the copy's bin directory. */
function survivors(...needles: string[]): string[] {
  const out = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' });
  return out.split('\n').filter((l) => needles.some((n) => l.includes(n)) && !l.includes('ps -eo'));
}

async function scrape(r: RunningExporter, headers: Record<string, string> = {}) {
  const started = performance.now();
  const res = await fetch(`${r.url}/metrics`, { headers });
  const text = await res.text();
  return { status: res.status, samples: parseExposition(text), ms: performance.now() - started };
}

const success = (c: string) => `klp_scrape_collector_success{collector="${c}"}`;

/** Wait until nothing matching is left (a killed process needs a moment to be reaped). */
async function expectNoSurvivors(...needles: string[]): Promise<void> {
  const until = Date.now() + 2000;
  while (survivors(...needles).length > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  expect(survivors(...needles)).toEqual([]);
}

it('the process-table check sees a process that is still there', async () => {
  const marker = `97${process.pid % 1000}1`;
  const { spawn } = await import('node:child_process');
  const child = spawn('sleep', [marker], { stdio: 'ignore' });
  try {
    await new Promise((r) => setTimeout(r, 100));
    expect(survivors(marker)).toHaveLength(1);
  } finally {
    child.kill('SIGKILL');
  }
  await expectNoSurvivors(marker);
});

const LIMITS = ['--exec.timeout=700ms', '--exec.max-output=1048576', '--scrape.timeout=5s'];

describe('misbehaving rpm (packages collector)', () => {
  const cases: ReadonlyArray<[string, (m: string) => string, RegExp]> = [
    ['hangs forever', (m) => `sleep ${m}`, /rpm .*-qa.*timed out after \d+ ms and was killed/],
    ['ignores SIGTERM', (m) => `trap "" TERM; while :; do sleep ${m}; done`, /timed out after \d+ ms and was killed/],
    // The command itself exited: its output so far ("early", not rpm's format) is used after a short grace.
    ['leaves a grandchild holding stdout open', (m) => `(trap "" TERM; sleep ${m}; echo late) & echo early`, /rpm .*-qa.*: line 1: expected 6 tab-separated fields, got 1: \\"early\\"/],
    ['prints 100 MB', (m) => `# ${m}\nhead -c 100000000 /dev/zero | tr '\\0' x`, /printed more output than allowed and was killed/],
    // Random bytes: the first bad line is usually line 1, but not when they start with a newline (a blank line is skipped).
    ['exits 0 with garbage', (m) => `# ${m}\nhead -c 4096 /dev/urandom; exit 0`, /rpm .*-qa.*: line \d+: /],
    ['exits non-zero with a useful stderr', (m) => `# ${m}\necho "error: cannot open Packages database in /var/lib/rpm" >&2; exit 1`, /exited with code 1: error: cannot open Packages database in \/var\/lib\/rpm/],
  ];
  it.concurrent.each(cases)('%s: killed or cut, reported, nothing left behind', async (_name, body, reason) => {
    const { s, marker } = hostWithTool('sles15sp6-patched', 'rpm', body);
    const r = await startInProcess(s, LIMITS);
    try {
      const { status, samples, ms } = await scrape(r);
      expect(status).toBe(200);
      expect(ms).toBeLessThan(700 + 1000 + 500); // exec deadline + kill grace + slack
      expect(samples.get(success('packages'))).toBe(0);
      for (const c of ['kernel', 'livepatch', 'taint', 'klp']) expect(samples.get(success(c))).toBe(1);
      const logged = r.logs.filter((l) => l.includes('collector=packages') && l.includes('level=error'));
      expect(logged.join('\n')).toMatch(reason);
    } finally {
      await r.close();
    }
    await expectNoSurvivors(marker, s.bin);
  });
});

describe('misbehaving klp and zypper', () => {
  it('klp hangs: the klp collector fails, the others answer', async () => {
    const { s, marker } = hostWithTool('sles15sp6-patched', 'klp', (m) => `sleep ${m}`);
    const r = await startInProcess(s, LIMITS);
    try {
      const { samples, ms } = await scrape(r);
      expect(ms).toBeLessThan(2200);
      expect(samples.get(success('klp'))).toBe(0);
      expect(samples.get(success('packages'))).toBe(1);
      expect(r.logs.join('\n')).toMatch(/collector=klp err="klp status: timed out after \d+ ms and was killed"/);
    } finally {
      await r.close();
    }
    await expectNoSurvivors(marker, s.bin);
  });

  it('zypper fails with stderr: the lifecycle collector says so and falls back to the build time', async () => {
    const { s, marker } = hostWithTool('sles15sp6-zypper', 'zypper', (m) => `# ${m}\necho "System management is locked by the application with pid 4242 (zypper)." >&2; exit 7`);
    const r = await startInProcess(s, LIMITS);
    try {
      const { samples } = await scrape(r);
      expect(samples.get(success('lifecycle'))).toBe(0);
      expect(samples.get('klp_patch_expiry_source{source="kernel-build-time"}')).toBe(1);
      expect(r.logs.join('\n')).toMatch(/collector=lifecycle err="zypper .*lifecycle kernel-livepatch-6_4_0-150600_23_25-default: the zypp lock is held by another process \(exit 7\)"/);
    } finally {
      await r.close();
    }
    await expectNoSurvivors(marker, s.bin);
  });
});

describe('scrape deadline', () => {
  const SLOW = ['--exec.timeout=8s', '--scrape.timeout=10s'];

  it('honours a shorter X-Prometheus-Scrape-Timeout-Seconds', async () => {
    const { s, marker } = hostWithTool('sles15sp6-patched', 'rpm', (m) => `sleep ${m}`);
    const r = await startInProcess(s, SLOW);
    try {
      const { status, samples, ms } = await scrape(r, { 'X-Prometheus-Scrape-Timeout-Seconds': '1.5' });
      expect(status).toBe(200);
      expect(ms).toBeLessThan(1500);
      expect(samples.get(success('packages'))).toBe(0);
      expect(r.logs.join('\n')).toMatch(/collector still running at the scrape deadline; answering without it" collector=packages/);
    } finally {
      await r.close();
    }
    // Closing the exporter kills the command that was still running.
    await expectNoSurvivors(marker, s.bin);
  });

  it('a scrape with a short deadline does not wait for one with a longer deadline already running', async () => {
    const { s, marker } = hostWithTool('sles15sp6-patched', 'rpm', (m) => `sleep ${m}`);
    const r = await startInProcess(s, SLOW);
    try {
      const long = scrape(r); // 10 s deadline
      await new Promise((res) => setTimeout(res, 100));
      const short = await scrape(r, { 'X-Prometheus-Scrape-Timeout-Seconds': '1.5' });
      expect(short.status).toBe(200);
      expect(short.ms).toBeLessThan(1500);
      expect(short.samples.get(success('packages'))).toBe(0);
      r.exporter.close(); // let the long one end now
      await long;
    } finally {
      await r.close();
    }
    await expectNoSurvivors(marker, s.bin);
  });
});
