// Load, bursts and slow clients against the real exporter process on loopback. Short by default
// (part of `npm test`); `npm run soak` sets KLP_SOAK=1 for the long version (60 s at 256
// connections, more bursts and slow clients). Everything is bounded in time and count, and
// every process and socket started here is stopped here.

import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../helpers/as-user.js';
import { startProcess, type ExporterProcess } from '../helpers/exporter-process.js';
import { scenarioArgs, type Scenario } from '../helpers/fixture-host.js';
import { burst, patchedHost, rssMiB, slowClient, wrk, type Answer } from '../helpers/load.js';

const SOAK = process.env.KLP_SOAK === '1';
const P = SOAK ? { connections: 256, seconds: 60, bursts: 5, burstSize: 1000, slowHeaders: 200, slowBodies: 100 } : { connections: 64, seconds: 3, bursts: 1, burstSize: 1000, slowHeaders: 50, slowBodies: 20 };
const TEST_TIMEOUT = SOAK ? 300_000 : 60_000;

// Created at load time: concurrent tests start before beforeAll hooks run.
const dir = mkdtempSync(path.join(os.tmpdir(), 'klp-load-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const host = (rpmSeconds = 0): Scenario => patchedHost(dir, rpmSeconds);

/**
 * The bursts start once wrk is done, while the slow-client test waits for the headers timeout:
 * the file takes ~15 s instead of ~25 s, and no two CPU-heavy parts share the two cores.
 */
const afterWrk = (extraSeconds = 0) => new Promise((r) => setTimeout(r, (P.seconds + 2 + extraSeconds) * 1000));

const packagesOk = (a: Answer | string) => typeof a !== 'string' && a.status === 200 && a.body.includes('klp_scrape_collector_success{collector="packages"} 1');
const tally = (answers: Array<Answer | string>) => {
  const t: Record<string, number> = {};
  for (const a of answers) {
    const k = typeof a === 'string' ? a : String(a.status);
    t[k] = (t[k] ?? 0) + 1;
  }
  return t;
};

/** The process did not die and logged no unhandled rejection or exception. */
function expectHealthyProcess(p: ExporterProcess): void {
  expect(p.child.exitCode).toBeNull();
  expect(p.stderr()).not.toMatch(/unhandled|uncaught|ERR_|FATAL/i);
}

describe(`load (${SOAK ? 'soak' : 'short'})`, () => {
  // Concurrent: the slow-client part mostly waits for the server's 10 s headers timeout.
  it.concurrent(
    `wrk ${P.seconds} s at ${P.connections} connections while ${P.slowHeaders} slowloris clients trickle headers and ${P.slowBodies} never send their bodies`,
    async () => {
      const p = await startProcess(scenarioArgs(host(), ['--web.max-requests=1024']), await freePort());
      const clients: ReturnType<typeof slowClient>[] = [];
      try {
        const url = `${p.url}/metrics`;
        await wrk(url, 16, 1); // warm up (JIT, caches, buffers)
        const before = rssMiB(p.child.pid!);
        const headers = Array.from({ length: P.slowHeaders }, () => slowClient(p.url, 'GET /metrics HTTP/1.1\r\nHost: x\r\n', 'X-Slow: aaaaaaaaaaaaaaaa\r\n'));
        const bodies = Array.from({ length: P.slowBodies }, () => slowClient(p.url, 'GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n', 'x'));
        clients.push(...headers, ...bodies);
        const samples: number[] = [];
        const sampler = setInterval(() => samples.push(rssMiB(p.child.pid!)), 250);
        const r = await wrk(url, P.connections, P.seconds).finally(() => clearInterval(sampler));
        const after = rssMiB(p.child.pid!);
        // The slow clients blocked nothing: every request of the load succeeded.
        expect({ requests: r.requests > P.seconds * 50, non2xx: r.non2xx, socketErrors: r.socketErrors }).toEqual({ requests: true, non2xx: 0, socketErrors: 0 });
        // Flat-ish: no more than 50% (and 40 MiB) above the warmed-up size, at the end and at peak.
        expect(after).toBeLessThan(before * 1.5 + 40);
        expect(Math.max(...samples)).toBeLessThan(before * 1.5 + 40);
        process.stdout.write(`load: ${r.requests} scrapes in ${P.seconds} s at ${P.connections} connections, RSS ${before.toFixed(0)} → ${after.toFixed(0)} MiB (peak ${Math.max(...samples).toFixed(0)})\n`);

        // Announced bodies that never come: refused and closed right away.
        for (const c of bodies) {
          expect(c.received()).toMatch(/^HTTP\/1\.1 413 /);
          expect(c.closedAfterMs()).toBeLessThan(5000); // (from connect, under load; the request timeout is 60 s)
        }
        // Trickled headers: closed by the headers timeout (10 s, checked every 10 s: main.ts).
        const until = Date.now() + 22_000;
        while (headers.some((c) => c.closedAfterMs() === undefined) && Date.now() < until) await new Promise((res) => setTimeout(res, 250));
        expect(headers.filter((c) => c.closedAfterMs() === undefined)).toHaveLength(0);
        for (const c of headers) expect(c.closedAfterMs()).toBeLessThan(21_000);
        for (const c of headers) expect(c.received()).toMatch(/^(|HTTP\/1\.1 408 Request Timeout\r\n[^]*)$/); // never an answer to half a request
        expect((await fetch(`${p.url}/-/healthy`)).status).toBe(200);
        expectHealthyProcess(p);
      } finally {
        for (const c of clients) c.destroy();
        await p.stop();
      }
    },
    TEST_TIMEOUT,
  );

  it.concurrent(
    `${P.bursts} burst(s) of ${P.burstSize} concurrent scrapes while the packages collector refreshes`,
    async () => {
      await afterWrk();
      const RPM_SECONDS = 6;
      const s = host();
      // The exec deadline is above RPM_SECONDS: the refresh is slow, not failed.
      const p = await startProcess(scenarioArgs(s, ['--web.max-requests=1024', '--exec.timeout=10s']), await freePort());
      try {
        const url = `${p.url}/metrics`;
        const first = await burst(url, 1); // waits for the first (fast) rpm run
        expect(first.every(packagesOk)).toBe(true);
        // From now on rpm -qa takes RPM_SECONDS.
        writeFileSync(path.join(s.dir, 'cmd/rpm_-qa.sleep'), String(RPM_SECONDS));
        for (let b = 1; b <= P.bursts; b++) {
          // A changed RPM database: the next scrape starts a refresh (rpm takes RPM_SECONDS) and
          // every scrape meanwhile is answered from the previous result.
          const db = path.join(s.root, 'usr/lib/sysimage/rpm/Packages.db');
          utimesSync(db, new Date(), new Date(Date.now() + b * 1000));
          const started = Date.now();
          const answers = await burst(url, P.burstSize);
          const ms = Date.now() - started;
          process.stdout.write(`burst ${b}: ${P.burstSize} scrapes in ${ms} ms while rpm refreshed\n`);
          expect(tally(answers)).toEqual({ 200: P.burstSize });
          expect(answers.filter((a) => !packagesOk(a))).toHaveLength(0);
          expect(ms).toBeLessThan(RPM_SECONDS * 1000);
          // One refresh for the whole burst: rpm ran once more.
          const until = Date.now() + RPM_SECONDS * 1000 + 3000;
          let runs = '';
          while (Date.now() < until) {
            const text = await (await fetch(url)).text();
            runs = /klp_exporter_command_runs_total\{command="rpm"\} (\d+)/.exec(text)?.[1] ?? '';
            if (runs === String(b + 1)) break;
            await new Promise((r) => setTimeout(r, 200));
          }
          expect(runs).toBe(String(b + 1));
        }
        expectHealthyProcess(p);
      } finally {
        await p.stop();
      }
    },
    TEST_TIMEOUT,
  );

  it.concurrent(
    'over --web.max-requests (default 64) a burst gets only 200 and a quick 503, never an error',
    async () => {
      await afterWrk(4.5); // and after the burst test
      const p = await startProcess(scenarioArgs(host(1.5)), await freePort());
      try {
        const answers = await burst(`${p.url}/metrics`, 300); // all wait for the first rpm run
        const t = tally(answers);
        expect(Object.keys(t).sort()).toEqual(['200', '503']);
        expect(t['200']).toBeLessThanOrEqual(64);
        expect(answers.filter((a) => typeof a !== 'string' && a.status === 503).every((a) => (a as Answer).body === 'Too many concurrent scrapes\n')).toBe(true);
        expectHealthyProcess(p);
      } finally {
        await p.stop();
      }
    },
    TEST_TIMEOUT,
  );
});
