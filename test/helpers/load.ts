// Load helpers: wrk runs, bursts of concurrent scrapes, slowloris clients, process RSS.

import { execFile } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { HOSTS, loadScenario, type Scenario } from './fixture-host.js';

let copies = 0;

/** A copy of sles15sp6-patched in `dir` whose `rpm -qa` takes `rpmSeconds`. */
export function patchedHost(dir: string, rpmSeconds = 0): Scenario {
  const name = `sles15sp6-patched-${++copies}`;
  cpSync(path.join(HOSTS, 'sles15sp6-patched'), path.join(dir, name), { recursive: true });
  const s = loadScenario(name, dir);
  if (rpmSeconds > 0) writeFileSync(path.join(s.dir, 'cmd/rpm_-qa.sleep'), String(rpmSeconds));
  return s;
}

export interface WrkResult {
  readonly requests: number;
  readonly non2xx: number;
  readonly socketErrors: number;
  readonly output: string;
}

/** `wrk` against `url` (it must be installed: scripts/install-test-deps.sh). */
export function wrk(url: string, connections: number, seconds: number): Promise<WrkResult> {
  return new Promise((resolve, reject) => {
    execFile('wrk', ['-t2', `-c${connections}`, `-d${seconds}s`, '--timeout', '10s', '--latency', url], { timeout: (seconds + 30) * 1000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`wrk failed (is it installed? scripts/install-test-deps.sh): ${err.message} ${stderr}`));
      const requests = Number(/(\d+) requests in/.exec(stdout)?.[1] ?? NaN);
      const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0);
      const se = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
      const socketErrors = se ? se.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
      resolve({ requests, non2xx, socketErrors, output: stdout });
    });
  });
}

/** Resident set size of a process, in MiB. */
export function rssMiB(pid: number): number {
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  return kb / 1024;
}

export interface Answer {
  readonly status: number;
  readonly body: string;
}

/** `n` scrapes at once, each on its own connection; resolves with every answer (or error text). */
export async function burst(url: string, n: number): Promise<Array<Answer | string>> {
  const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
  try {
    return await Promise.all(
      Array.from(
        { length: n },
        () =>
          new Promise<Answer | string>((resolve) => {
            const req = http.get(url, { agent }, (res) => {
              let body = '';
              res.setEncoding('utf8');
              res.on('data', (d: string) => (body += d));
              res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
              res.on('error', (e) => resolve(`response error: ${e.message}`));
            });
            req.on('error', (e) => resolve(`request error: ${e.message}`));
            req.setTimeout(30_000, () => req.destroy(new Error('client timeout')));
          }),
      ),
    );
  } finally {
    agent.destroy();
  }
}

export interface SlowClient {
  /** When the server closed the connection (ms since start), if it did. */
  closedAfterMs(): number | undefined;
  /** Bytes the server sent back. */
  received(): string;
  destroy(): void;
}

/**
 * A slowloris client: `prefix` at once, then `drip` one byte per `intervalMs`, forever (until
 * the server closes the connection or destroy()).
 */
export function slowClient(url: string, prefix: string, drip: string, intervalMs = 1000): SlowClient {
  const { port } = new URL(url);
  const started = Date.now();
  let closedAt: number | undefined;
  let received = '';
  let i = 0;
  const sock = net.connect(Number(port), '127.0.0.1', () => sock.write(prefix));
  const timer = setInterval(() => {
    if (!sock.writable) return;
    sock.write(drip[i % drip.length]!);
    i++;
  }, intervalMs);
  sock.on('data', (d) => (received += d.toString('latin1')));
  const done = () => {
    closedAt ??= Date.now() - started;
    clearInterval(timer);
  };
  sock.on('close', done);
  sock.on('error', () => undefined);
  return {
    closedAfterMs: () => closedAt,
    received: () => received,
    destroy: () => {
      clearInterval(timer);
      sock.destroy();
    },
  };
}
