// A live patch directory that appears or disappears while a scrape reads /sys/kernel/livepatch
// (the kernel removes a replaced patch at the end of a transition; a new one appears on load).
// In sysfs both happen atomically for the whole directory, so here a worker thread renames a
// complete patch directory in and out of the tree, holding each state 2–10 ms,
// while scrapes run. (With no hold at all — the directory flapping every few microseconds — a
// patch can still be missing in all three read attempts; it is then reported, not guessed.)

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { parseExposition } from '../helpers/exposition.js';
import { HOSTS, loadScenario, startInProcess } from '../helpers/fixture-host.js';

const HOST = 'sles15sp6-patched';
const EXTRA = 'livepatch_4_150600_13_12_1';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'klp-race-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Rename `a` ↔ `b` in a loop for `ms` milliseconds, in another thread; resolves with the count. */
function racer(a: string, b: string, ms: number): Promise<number> {
  const code = `
    const { renameSync } = require('node:fs');
    const { workerData, parentPort } = require('node:worker_threads');
    const until = Date.now() + workerData.ms;
    let n = 0;
    const cell = new Int32Array(new SharedArrayBuffer(4));
    // Hold each state 2–10 ms: far faster than a module is ever unloaded and loaded again.
    const hold = () => Atomics.wait(cell, 0, 0, 2 + 8 * Math.random());
    while (Date.now() < until) { renameSync(workerData.a, workerData.b); hold(); renameSync(workerData.b, workerData.a); hold(); n++; }
    parentPort.postMessage(n);`;
  const w = new Worker(code, { eval: true, workerData: { a, b, ms } });
  return new Promise((resolve, reject) => {
    w.once('message', (n: number) => resolve(n));
    w.once('error', reject);
  });
}

describe('a patch directory that comes and goes during scrapes', () => {
  it('never fails the livepatch collector', async () => {
    cpSync(path.join(HOSTS, HOST), path.join(dir, HOST), { recursive: true });
    const s = loadScenario(HOST, dir);
    const lp = path.join(s.root, 'sys/kernel/livepatch');
    // A complete second patch, staged outside the tree on the same file system.
    const staged = path.join(dir, 'staged', EXTRA);
    mkdirSync(path.dirname(staged));
    cpSync(path.join(lp, 'livepatch_3_150600_13_9_1'), staged, { recursive: true });

    const running = await startInProcess(s);
    try {
      const race = racer(staged, path.join(lp, EXTRA), 2000);
      let seen = 0;
      let notSeen = 0;
      const failures: string[] = [];
      const until = Date.now() + 1600;
      for (let i = 0; i < 2000 && Date.now() < until; i++) {
        const text = await (await fetch(`${running.url}/metrics`)).text();
        const samples = parseExposition(text);
        if (samples.get('klp_scrape_collector_success{collector="livepatch"}') !== 1)
          failures.push(
            running.logs
              .filter((l) => l.includes('level=error'))
              .slice(-3)
              .join('\n'),
          );
        if (samples.has(`klp_patch_enabled{patch="${EXTRA}"}`)) seen++;
        else notSeen++;
      }
      const renames = await race;
      expect(renames).toBeGreaterThan(50);
      expect(failures).toEqual([]);
      // Both sides of the race happened (otherwise this test proves nothing).
      expect(seen).toBeGreaterThan(0);
      expect(notSeen).toBeGreaterThan(0);
      expect(running.logs.filter((l) => l.includes('level=error'))).toEqual([]);
    } finally {
      await running.close();
    }
  });
});
