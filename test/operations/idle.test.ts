// An exporter that nobody scrapes must not wake up: no periodic timer (prom-client's event-loop
// delay monitor woke it every 10 ms, about 100 times a second). Counted as the voluntary context
// switches of all its threads over 3 s of idleness, after a scrape with process metrics on; this
// counts wake-ups, not time, so a busy machine does not change it (involuntary switches are not
// counted).

import { afterAll, describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { startProcess, type ExporterProcess } from '../helpers/exporter-process.js';
import { loadScenario, scenarioArgs } from '../helpers/fixture-host.js';
import { freePort, sleep } from './process.js';

/** Voluntary context switches of every thread of a process. */
function wakeUps(pid: number): number {
  let n = 0;
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    try {
      n += Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/task/${t}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      // the thread just exited
    }
  }
  return n;
}

describe('an idle exporter', () => {
  let exp: ExporterProcess | undefined;
  afterAll(async () => {
    await exp?.stop();
  });

  it('does not wake up while nobody scrapes it (process metrics on)', async () => {
    exp = await startProcess(scenarioArgs(loadScenario('sles15sp6-patched'), ['--no-web.disable-exporter-metrics']), await freePort(), 30_000);
    const text = await (await fetch(`${exp.url}/metrics`)).text();
    expect(text).toContain('process_cpu_seconds_total');
    await (await fetch(`${exp.url}/metrics`)).text();
    await sleep(1000); // let the connection's keep-alive and the collection settle
    const before = wakeUps(exp.child.pid!);
    await sleep(3000);
    const woke = wakeUps(exp.child.pid!) - before;
    // With a 10 ms timer this is about 300; V8's and libuv's own threads may wake a few times.
    expect(woke).toBeLessThan(30);
  });
});
