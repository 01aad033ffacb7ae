// Cached collectors: reuse while inputs are unchanged, one refresh per change, stale while
// revalidating, shared refreshes, retry after failure.

import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CollectorContext } from '../../src/collectors/collector.js';
import { rpmDbStamp } from '../../src/systems/suse/rpm.js';
import { resolveHostPaths } from '../../src/host/paths.js';
import { CachedValue, RETRY_AFTER_FAILURE_MS } from '../../src/scrape/cache.js';
import { copyScenario, startInProcess, type RunningExporter } from '../helpers/fixture-host.js';

describe('CachedValue', () => {
  const never = new Promise<void>(() => undefined);
  const clock = () => 1_000;

  it('computes once per key and shares a refresh under way', async () => {
    let calls = 0;
    let t = 0;
    const cache = new CachedValue<number>(60_000, clock, () => t);
    const compute = async () => ({ value: ++calls, problems: [] });
    const [a, b] = await Promise.all([cache.get('k1', compute, never), cache.get('k1', compute, never)]);
    expect([a?.value, b?.value, calls]).toEqual([1, 1, 1]);
    expect((await cache.get('k1', compute, never))?.value).toBe(1);
    // a new key: the old value is served while the refresh runs, then the new one
    expect((await cache.get('k2', compute, never))?.value).toBe(1);
    await Promise.resolve();
    await new Promise((r) => setImmediate(r));
    expect((await cache.get('k2', compute, never))?.value).toBe(2);
    // max age
    t = 61_000;
    await cache.get('k2', compute, never);
    await new Promise((r) => setImmediate(r));
    expect(calls).toBe(3);
  });

  it('answers undefined at the deadline when there is no value yet', async () => {
    const cache = new CachedValue<number>(60_000, clock);
    const slow = () => new Promise<{ value: number; problems: string[] }>((r) => setTimeout(() => r({ value: 1, problems: [] }), 200));
    expect(await cache.get('k', slow, Promise.resolve())).toBeUndefined();
  });

  it('keeps the last good value after a failure, reports it, and retries after a while', async () => {
    let t = 0;
    let fail = false;
    let calls = 0;
    const cache = new CachedValue<number>(
      3_600_000,
      () => 5_000 + t,
      () => t,
    );
    const compute = async () => {
      calls++;
      if (fail) throw new Error('rpm: timed out');
      return { value: 7, problems: [] };
    };
    expect((await cache.get('a', compute, never))?.lastSuccessMs).toBe(5_000);
    fail = true;
    t = 10;
    await cache.refresh('b', compute);
    const o = await cache.get('b', compute, never);
    expect(o).toMatchObject({ value: 7, problems: ['rpm: timed out'], lastSuccessMs: 5_000 });
    expect(calls).toBe(2);
    t = 10 + RETRY_AFTER_FAILURE_MS + 1;
    await cache.get('b', compute, never);
    expect(calls).toBe(3);
  });
});

describe('cached collectors on a fixture host', () => {
  let running: RunningExporter | undefined;
  let base: string | undefined;
  afterEach(async () => {
    await running?.close();
    if (base) rmSync(base, { recursive: true, force: true });
  });
  const runs = async (url: string) => {
    const text = await (await fetch(`${url}/metrics`)).text();
    return Object.fromEntries([...text.matchAll(/^klp_exporter_command_runs_total\{command="(\w+)"\} (\d+)$/gm)].map((m) => [m[1], Number(m[2])]));
  };

  it('refreshes exactly once when the RPM database changes, and not otherwise', async () => {
    const copy = copyScenario('sles15sp6-patched');
    base = copy.base;
    running = await startInProcess(copy.scenario);
    const first = await runs(running.url);
    expect(first).toEqual({ rpm: 1, klp: 2, zypper: 0 });
    for (let i = 0; i < 3; i++) expect(await runs(running.url)).toEqual(first);
    const db = path.join(copy.scenario.root, 'usr/lib/sysimage/rpm/Packages.db');
    writeFileSync(db, 'changed');
    utimesSync(db, new Date(), new Date(Date.now() + 5000));
    await runs(running.url); // starts the refresh, answers from the last result
    await new Promise((r) => setTimeout(r, 500));
    // rpm ran once for the packages; klp once more (both of its commands) since its key includes the database
    expect(await runs(running.url)).toEqual({ rpm: 2, klp: 4, zypper: 0 });
    expect(await runs(running.url)).toEqual({ rpm: 2, klp: 4, zypper: 0 });
  });

  it('serves the last result while a slow refresh runs', async () => {
    const copy = copyScenario('sles15sp6-patched');
    base = copy.base;
    running = await startInProcess(copy.scenario, ['--exec.timeout=20s']);
    await runs(running.url);
    writeFileSync(path.join(copy.scenario.dir, 'cmd/rpm_-qa.sleep'), '2\n');
    const db = path.join(copy.scenario.root, 'usr/lib/sysimage/rpm/Packages.db');
    utimesSync(db, new Date(), new Date(Date.now() + 5000));
    const started = Date.now();
    const text = await (await fetch(`${running.url}/metrics`)).text();
    expect(Date.now() - started).toBeLessThan(1500);
    expect(text).toContain('klp_patch_installed_version 3');
    await new Promise((r) => setTimeout(r, 2600));
    const after = await (await fetch(`${running.url}/metrics`)).text();
    const duration = Number(/^klp_scrape_collector_duration_seconds\{collector="packages"\} (\S+)$/m.exec(after)?.[1]);
    expect(duration).toBeGreaterThanOrEqual(2);
  });
});

describe('scrape deadlines', () => {
  let running: RunningExporter | undefined;
  afterEach(async () => {
    await running?.close();
  });

  it('a joining scrape with a shorter Prometheus timeout does not wait for the longer one', async () => {
    const copy = copyScenario('sles15sp6-patched');
    running = await startInProcess(copy.scenario, ['--exec.timeout=20s', '--scrape.timeout=10s']);
    writeFileSync(path.join(copy.scenario.dir, 'cmd/rpm_-qa.sleep'), '5\n');
    try {
      const started = Date.now();
      const slow = fetch(`${running.url}/metrics`); // no header: waits up to 10s for the first rpm
      await new Promise((r) => setTimeout(r, 100));
      const fast = await fetch(`${running.url}/metrics`, { headers: { 'X-Prometheus-Scrape-Timeout-Seconds': '1.5' } });
      const text = await fast.text();
      expect(Date.now() - started).toBeLessThan(2500);
      expect(text).toContain('klp_scrape_collector_success{collector="packages"} 0');
      expect(text).toContain('klp_livepatch_state{state="patched"} 1');
      await slow;
    } finally {
      rmSync(copy.base, { recursive: true, force: true });
    }
  });
});

describe('sharing a collection', () => {
  let running: RunningExporter | undefined;
  afterEach(async () => {
    await running?.close();
  });

  it('scrapes that arrive in the same event-loop turn share one collection and its bytes', async () => {
    const copy = copyScenario('sles15sp6-patched');
    try {
      running = await startInProcess(copy.scenario);
      const exporter = running.exporter;
      await exporter.metricsBody(5000); // warm: later collections need no command
      // Two timer callbacks of one turn stand for two requests read in one poll of the sockets;
      // microtasks run between them, so a collection made only of microtasks would be done by then.
      const bodies = await new Promise<Buffer[]>((resolve) => {
        const got: Array<Promise<Buffer>> = [];
        setTimeout(() => got.push(exporter.metricsBody(5000)), 0);
        setTimeout(() => {
          got.push(exporter.metricsBody(5000));
          resolve(Promise.all(got));
        }, 0);
      });
      expect(bodies[0]).toBe(bodies[1]);
      const later = await exporter.metricsBody(5000);
      expect(later).not.toBe(bodies[0]); // a later scrape reads the host again
      expect(later.toString()).toContain('klp_livepatch_state{state="patched"} 1');
    } finally {
      rmSync(copy.base, { recursive: true, force: true });
    }
  });
});

describe('RPM database stamp', () => {
  // What readers touch (locks, shared memory, bdb environment regions) must not change the stamp;
  // what a package change writes must. Real rpm (sqlite): test/rpm-real.test.ts.
  it.each([
    ['bdb (SLE 12)', 'var/lib/rpm', ['Packages', 'Name', '__db.001', '__db.002', '.rpm.lock', '.dbenv.lock'], ['__db.001', '__db.002', '.rpm.lock', '.dbenv.lock'], ['Packages']],
    ['ndb (SLE 15)', 'usr/lib/sysimage/rpm', ['Packages.db', 'Index.db', '.rpm.lock'], ['.rpm.lock'], ['Packages.db', 'Index.db']],
    ['sqlite (SLES 16)', 'usr/lib/sysimage/rpm', ['rpmdb.sqlite', 'rpmdb.sqlite-wal', 'rpmdb.sqlite-shm', '.rpm.lock'], ['rpmdb.sqlite-shm', '.rpm.lock'], ['rpmdb.sqlite', 'rpmdb.sqlite-wal']],
  ])('%s: changes with the content files only', (_name, rel, files, volatile, content) => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'klp-rpmdb-'));
    try {
      const dir = path.join(root, rel);
      mkdirSync(dir, { recursive: true });
      for (const f of files) writeFileSync(path.join(dir, f), 'x');
      const ctx = { paths: resolveHostPaths({ rootfs: root, sysfs: '/sys', procfs: '/proc' }) } as CollectorContext;
      let stamp = rpmDbStamp(ctx);
      let t = Date.now() + 10_000;
      for (const f of volatile) {
        writeFileSync(path.join(dir, f), 'touched by a reader');
        utimesSync(path.join(dir, f), new Date(t), new Date((t += 1000)));
        expect(rpmDbStamp(ctx)).toBe(stamp);
      }
      for (const f of content) {
        utimesSync(path.join(dir, f), new Date(t), new Date((t += 1000)));
        const next = rpmDbStamp(ctx);
        expect(next).not.toBe(stamp);
        stamp = next;
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
