// Attacks on the running exporter process under load (issue 13.3–13.6): idle sockets that
// reconnect, a pipelining connection, a password-guessing flood, a reload storm. Short by default
// (part of `npm test`); `npm run soak` (KLP_SOAK=1) runs each for longer. Loopback only; every
// process and socket started here is stopped here.

import { afterAll, describe, expect, it } from '@jest/globals';
import bcrypt from 'bcryptjs';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../helpers/as-user.js';
import { MAIN, startProcess, type ExporterProcess } from '../helpers/exporter-process.js';
import { scenarioArgs, type Scenario } from '../helpers/fixture-host.js';
import { patchedHost } from '../helpers/load.js';

const SOAK = process.env.KLP_SOAK === '1';
/** How long each attack lasts, in seconds. */
const SECONDS = SOAK ? 30 : 4;
const TEST_TIMEOUT = (SECONDS + 40) * 1000;

const dir = mkdtempSync(path.join(os.tmpdir(), 'klp-attacks-load-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const host = (rpmSeconds = 0): Scenario => patchedHost(dir, rpmSeconds);

interface Got {
  status: number;
  body: string;
  ms: number;
}

/** One GET on a new connection (from a given loopback address); an error is status 0. */
function get(url: string, o: { from?: string; auth?: string; timeoutMs?: number } = {}): Promise<Got> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, localAddress: o.from, auth: o.auth, timeout: o.timeoutMs ?? 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, ms: performance.now() - t0 }));
      res.on('error', () => resolve({ status: 0, body: '', ms: performance.now() - t0 }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ status: 0, body: '', ms: performance.now() - t0 }));
  });
}

const ok = (g: Got, collector = 'packages') => g.status === 200 && g.body.includes(`klp_scrape_collector_success{collector="${collector}"} 1`);

function expectHealthyProcess(p: { child: { exitCode: number | null }; stderr: () => string }): void {
  expect(p.child.exitCode).toBeNull();
  expect(p.stderr()).not.toMatch(/unhandled|uncaught|ERR_|FATAL/i);
}

describe(`attacks under load (${SOAK ? 'soak' : 'short'})`, () => {
  it(
    `13.3: 1,100 idle sockets that reconnect as they are closed, with 1,024 file descriptors: a scraper gets 200 on ≥ 95% of tries`,
    async () => {
      const s = host();
      const port = await freePort();
      // The exporter as a service with systemd's default soft limit of 1,024 open files.
      const child = spawn('prlimit', ['--nofile=1024:1024', '--', process.execPath, MAIN, `--web.listen-address=127.0.0.1:${port}`, ...scenarioArgs(s)], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      const url = `http://127.0.0.1:${port}`;
      const sockets = new Set<net.Socket>();
      let attacking = true;
      let reconnects = 0;
      const open = () => {
        if (!attacking) return;
        const sock = net.connect(port, '127.0.0.1');
        sockets.add(sock);
        sock.on('error', () => undefined);
        sock.on('close', () => {
          sockets.delete(sock);
          reconnects++;
          if (attacking) setTimeout(open, 5);
        });
      };
      try {
        for (let i = 0; i < 100 && (await get(`${url}/-/healthy`, { timeoutMs: 1000 })).status !== 200; i++) await sleep(100);
        expect((await get(`${url}/metrics`)).status).toBe(200);
        for (let i = 0; i < 1100; i++) open();
        await sleep(1000);
        const scrapes: Got[] = [];
        const healthy: Got[] = [];
        const until = Date.now() + SECONDS * 1000;
        while (Date.now() < until) {
          scrapes.push(await get(`${url}/metrics`, { timeoutMs: 5000 }));
          healthy.push(await get(`${url}/-/healthy`, { timeoutMs: 5000 }));
          await sleep(50);
        }
        const good = scrapes.filter((g) => ok(g)).length;
        process.stdout.write(`idle sockets: ${good}/${scrapes.length} scrapes ok, /-/healthy ${healthy.filter((g) => g.status === 200).length}/${healthy.length}, ${reconnects} attacker reconnects\n`);
        expect(good / scrapes.length).toBeGreaterThanOrEqual(0.95);
        expect(healthy.filter((g) => g.status === 200).length / healthy.length).toBeGreaterThanOrEqual(0.95);
        expect(child.exitCode).toBeNull();
        expect(stderr).not.toMatch(/unhandled|uncaught|EMFILE|FATAL/i);
      } finally {
        attacking = false;
        for (const sock of sockets) sock.destroy();
        child.kill('SIGKILL');
      }
    },
    TEST_TIMEOUT,
  );

  it(
    '13.4: a connection that pipelines scrapes takes one --web.max-requests slot, not all: a Prometheus beside it gets no 503',
    async () => {
      // The first collection waits for rpm (1.5 s): every scrape meanwhile holds a slot.
      const p = await startProcess(scenarioArgs(host(1.5), ['--web.max-requests=4']), await freePort());
      const { port } = new URL(p.url);
      const attacker = net.connect(Number(port), '127.0.0.1');
      attacker.on('error', () => undefined);
      let answers = 0;
      attacker.on('data', (d) => (answers += (d.toString('latin1').match(/HTTP\/1\.1 \d{3}/g) ?? []).length));
      try {
        await new Promise<void>((r) => attacker.once('connect', () => r()));
        const rounds = SOAK ? 20 : 2;
        const prometheus: Got[] = [];
        for (let round = 0; round < rounds; round++) {
          attacker.write('GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(30));
          await sleep(100);
          // Three Prometheus servers scrape at once (Prometheus HA pairs and a debugging curl).
          prometheus.push(...(await Promise.all([1, 2, 3].map(() => get(`${p.url}/metrics`)))));
        }
        process.stdout.write(`pipelining: Prometheus ${prometheus.filter((g) => g.status === 200).length}/${prometheus.length} ok; attacker got ${answers} answers\n`);
        expect(prometheus.map((g) => g.status)).toEqual(prometheus.map(() => 200));
        expectHealthyProcess(p);
      } finally {
        attacker.destroy();
        await p.stop();
      }
    },
    TEST_TIMEOUT,
  );

  it(
    '13.5: during a 50-connection password-guessing flood a valid client whose first login falls in it succeeds on ≥ 99% of scrapes',
    async () => {
      const wdir = mkdtempSync(path.join(dir, 'web-'));
      const file = path.join(wdir, 'web.yml');
      // Cost 10, the usual one: ~50–100 ms per check in the worker thread.
      writeFileSync(file, `basic_auth_users:\n  prometheus: '${bcrypt.hashSync('right', 10)}'\n`);
      const p: ExporterProcess = await startProcess(scenarioArgs(host(), [`--web.config.file=${file}`]), await freePort());
      let flooding = true;
      const flood: Record<number, number> = {};
      const attackers = Array.from({ length: 50 }, async (_, i) => {
        for (let n = 0; flooding; n++) {
          const g = await get(`${p.url}/metrics`, { from: `127.0.0.${2 + (i % 5)}`, auth: `prometheus:guess-${i}-${n}` });
          flood[g.status] = (flood[g.status] ?? 0) + 1;
        }
      });
      try {
        await sleep(500);
        const valid: Got[] = [];
        const until = Date.now() + SECONDS * 1000;
        while (Date.now() < until) {
          valid.push(await get(`${p.url}/metrics`, { from: '127.0.0.1', auth: 'prometheus:right' }));
          await sleep(100);
        }
        const good = valid.filter((g) => ok(g)).length;
        process.stdout.write(`guessing flood: valid ${good}/${valid.length} ok (worst ${Math.max(...valid.map((g) => g.ms)).toFixed(0)} ms); flood ${JSON.stringify(flood)}\n`);
        expect(good / valid.length).toBeGreaterThanOrEqual(0.99);
        expect(flood[401]).toBeGreaterThan(0);
        expect(p.stderr()).toMatch(/msg="failed login"/);
        // Rate-limited: one line per 10 s.
        expect((p.stderr().match(/msg="failed login"/g) ?? []).length).toBeLessThanOrEqual(SECONDS / 10 + 2);
        expectHealthyProcess(p);
      } finally {
        flooding = false;
        await Promise.all(attackers);
        await p.stop();
      }
    },
    TEST_TIMEOUT,
  );

  it(
    '13.6: a reload storm (SIGHUP 100 times a second and POST /-/reload) fails no scrape and runs rpm no more often',
    async () => {
      const s = host(0.3); // rpm takes a moment: a refresh is under way now and then
      const cfg = path.join(dir, `config-${path.basename(s.dir)}.yml`);
      writeFileSync(cfg, 'log:\n  level: info\n');
      const p = await startProcess(scenarioArgs(s, ['--web.enable-lifecycle', `--config.file=${cfg}`]), await freePort());
      let storming = true;
      const storm = (async () => {
        let n = 0;
        while (storming) {
          p.child.kill('SIGHUP');
          if (n++ % 10 === 0)
            void fetch(`${p.url}/-/reload`, { method: 'POST' }).then(
              (r) => r.text(),
              () => undefined,
            );
          await sleep(10);
        }
      })();
      try {
        const scrapes: Got[] = [];
        const until = Date.now() + SECONDS * 1000;
        while (Date.now() < until) scrapes.push(await get(`${p.url}/metrics`));
        storming = false;
        await storm;
        const bad = scrapes.filter((g) => !(ok(g, 'packages') && ok(g, 'klp') && ok(g, 'lifecycle')));
        const last = await get(`${p.url}/metrics`);
        const rpmRuns = Number(/klp_exporter_command_runs_total\{command="rpm"\} (\d+)/.exec(last.body)?.[1]);
        process.stdout.write(`reload storm: ${scrapes.length - bad.length}/${scrapes.length} scrapes ok, rpm ran ${rpmRuns} times\n`);
        expect(bad).toHaveLength(0);
        // The configuration never changed: rpm ran for the packages and klp collectors once each, as without reloads.
        expect(rpmRuns).toBeLessThanOrEqual(3);
        expect(last.body).toContain('klp_exporter_config_last_reload_successful 1');
        // A reload with a body is refused.
        const withBody = await fetch(`${p.url}/-/reload`, { method: 'POST', body: 'x' });
        expect(withBody.status).toBe(413);
        await withBody.text();
        expectHealthyProcess(p);
      } finally {
        storming = false;
        await p.stop();
      }
    },
    TEST_TIMEOUT,
  );
});
