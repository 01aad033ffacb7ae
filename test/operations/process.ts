// Helpers for the operations tests: free loopback ports, running `node dist/main.js` over HTTP or HTTPS,
// private copies of fixture hosts, metric lookups.

import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { DIST_MAIN, MAIN } from '../helpers/exporter-process.js';
import { HOSTS, loadScenario, type Scenario } from '../helpers/fixture-host.js';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Poll `check` until it returns a value (not undefined) or `ms` pass. */
export async function waitFor<T>(what: string, ms: number, check: () => Promise<T | undefined>): Promise<T> {
  const until = Date.now() + ms;
  let last: unknown;
  while (Date.now() < until) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await sleep(50);
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

/** A copy of a fixture host (with the fake tool) in a temp dir, so processes it starts are recognisable. */
export function privateScenario(name: string): { scenario: Scenario; dir: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), `klp-ops-${name}-`));
  cpSync(path.join(HOSTS, '..', 'bin'), path.join(dir, 'bin'), { recursive: true, verbatimSymlinks: true });
  cpSync(path.join(HOSTS, name), path.join(dir, 'hosts', name), { recursive: true, verbatimSymlinks: true });
  return { scenario: loadScenario(name, path.join(dir, 'hosts')), dir };
}

export interface Proc {
  readonly child: ChildProcess;
  readonly stderr: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL if still running (cleanup). */
  kill(): Promise<void>;
}

export function spawnMain(args: readonly string[]): Proc {
  if (!existsSync(DIST_MAIN)) throw new Error('dist/main.js is missing: run `npm run build` first (npm test does)');
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout!.resume();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return {
    child,
    stderr: () => stderr,
    exited,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}

export interface HttpsRes {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export function httpsGet(url: string, o: { ca: Buffer; auth?: string; method?: string }): Promise<HttpsRes> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { ca: o.ca, auth: o.auth, method: o.method ?? 'GET', agent: false, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error('client timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** The value of one sample line (`name{labels} value` or `name value`) in exposition text. */
export function sample(text: string, series: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1).split(' ')[0]);
  }
  return undefined;
}

/** Parse exposition text into "name{sorted labels}" → value (comments dropped). */
export function parseSamples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) throw new Error(`unparsable sample line: ${line}`);
    const labels: string[] = [];
    const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
    for (let l = re.exec(m[3] ?? ''); l; l = re.exec(m[3] ?? '')) labels.push(`${l[1]}="${l[2]}"`);
    out.set(`${m[1]}{${labels.sort().join(',')}}`, Number(m[4]));
  }
  return out;
}
