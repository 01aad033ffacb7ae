// Helpers for the benchmark: child processes that are always stopped, free loopback ports,
// fixture host copies, wrk runs and a keep-alive scrape loop.

import { spawn, execFileSync } from 'node:child_process';
import { promises as fs, existsSync, readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanEnv, SERVICE_UNIT, unitDeployment } from './deployment.mjs';

export const PROJECT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const HOSTS = path.join(PROJECT, 'test/fixtures/hosts');
export const FAKE_TOOL = path.join(PROJECT, 'test/fixtures/bin/fake-tool.mjs');
export const MAIN = path.join(PROJECT, 'dist/main.js');
/** Program, node flags and environment of the systemd unit (bench/deployment.mjs): the bench runs the exporter the same way. */
const UNIT = unitDeployment(SERVICE_UNIT);
export const NODE_FLAGS = UNIT.nodeFlags;
/** What the unit runs: the bundle (npm run bench builds it). */
export const SHIPPED = UNIT.program;
export const LOOPBACK = '127.0.0.1';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A tool the benchmark cannot run without; `pkg` is the Debian package that provides it. */
export class MissingTool extends Error {}

export function which(cmd) {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const f = path.join(dir, cmd);
    if (dir && existsSync(f)) return f;
  }
  return undefined;
}

export function requireTool(cmd, pkg) {
  const f = which(cmd);
  if (!f) throw new MissingTool(`'${cmd}' not found on PATH: install the Debian package '${pkg}' (sudo apt-get install -y ${pkg})`);
  return f;
}

export function versionOf(cmd, args = ['--version']) {
  try {
    const out = execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });
    return (
      out
        .split('\n')
        .find((l) => l.trim() !== '')
        ?.trim() ?? '?'
    );
  } catch (err) {
    // wrk prints its version as part of the usage text on stderr and exits 1.
    const text = `${err.stdout ?? ''}${err.stderr ?? ''}`;
    return (
      text
        .split('\n')
        .find((l) => l.trim() !== '')
        ?.trim() ?? '?'
    );
  }
}

// ---- child processes -------------------------------------------------------------------------

const children = new Set();

/** Start a process; it is killed when the benchmark exits, however it exits. */
export function start(cmd, args, { name = path.basename(cmd), env, cwd } = {}) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env, cwd, detached: false });
  let log = '';
  const keep = (d) => {
    log += d.toString();
    if (log.length > 200_000) log = log.slice(-100_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  const proc = {
    name,
    child,
    pid: child.pid,
    log: () => log,
    exited,
    running: () => child.exitCode === null && child.signalCode === null,
    async stop(graceMs = 5000) {
      if (!proc.running()) return exited;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const r = await exited;
      clearTimeout(t);
      children.delete(proc);
      return r;
    },
  };
  children.add(proc);
  child.once('exit', () => children.delete(proc));
  return proc;
}

/** Kill everything still running (used on exit and on signals). */
export function killAll() {
  for (const p of children) {
    try {
      p.child.kill('SIGKILL');
    } catch {
      // gone
    }
  }
  children.clear();
}

const cleanups = [];
/** Run `fn` at exit (temp directories). */
export function onExit(fn) {
  cleanups.push(fn);
}
function runCleanups() {
  killAll();
  while (cleanups.length) {
    try {
      cleanups.pop()();
    } catch {
      // best effort
    }
  }
}
process.on('exit', runCleanups);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    process.stderr.write(`\nbench: ${sig}, stopping everything it started\n`);
    runCleanups();
    process.exit(130);
  });
}

export async function tempDir(prefix = 'klp-bench-') {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  onExit(() => execFileSync('rm', ['-rf', '--', dir]));
  return dir;
}

/** A free TCP port on loopback. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, LOOPBACK, () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Wait until `url` answers 200 (or fail naming the process and its log). */
export async function waitHttp(url, proc, timeoutMs = 15_000) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (proc && !proc.running()) throw new Error(`${proc.name} exited before it answered ${url}:\n${proc.log().slice(-2000)}`);
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // not yet
    }
    await sleep(50);
  }
  throw new Error(`${proc?.name ?? url} did not answer ${url} within ${timeoutMs} ms:\n${proc?.log().slice(-2000) ?? ''}`);
}

export async function get(url) {
  const res = await fetch(url);
  const text = await res.text();
  if (!res.ok) throw new Error(`GET ${url}: ${res.status}`);
  return text;
}

/** Sample value of `name{labels}` in an exposition text (labels: exact label string, or '' for none). */
export function sample(text, name, labels = '') {
  const key = labels ? `${name}{${labels}} ` : `${name} `;
  const line = text.split('\n').find((l) => l.startsWith(key));
  return line === undefined ? undefined : Number(line.slice(key.length));
}

// ---- fixture hosts -----------------------------------------------------------------------------

/**
 * Copy a fixture host to `dest` (the repository's copy is never modified). The fake tools are
 * linked by absolute path; with `countFile`, each tool is a small shell wrapper that appends its
 * name to that file before running the fake, so spawns are counted outside the exporter too.
 */
export async function copyHost(scenario, dest, { countFile } = {}) {
  const src = path.join(HOSTS, scenario);
  await fs.cp(src, dest, { recursive: true, verbatimSymlinks: true, filter: (s) => !s.startsWith(path.join(src, 'bin')) });
  const tools = readdirSync(path.join(src, 'bin'));
  await fs.mkdir(path.join(dest, 'bin'));
  await fs.mkdir(path.join(dest, 'realbin'));
  for (const t of tools) {
    // fake-tool.mjs finds the host from the path it was started as: <host>/<dir>/<tool>.
    await fs.symlink(FAKE_TOOL, path.join(dest, 'realbin', t));
    if (countFile) {
      const script = `#!/bin/sh\necho ${t} >> '${countFile}'\nexec '${path.join(dest, 'realbin', t)}' "$@"\n`;
      await fs.writeFile(path.join(dest, 'bin', t), script, { mode: 0o755 });
    } else {
      await fs.symlink(FAKE_TOOL, path.join(dest, 'bin', t));
    }
  }
  const meta = readFileSync(path.join(src, 'scenario.yaml'), 'utf8');
  const now = /^now:\s*"?([^"\n]+)"?/m.exec(meta)?.[1];
  const extra = [...meta.matchAll(/^\s+-\s+"?(--[^"\n]+)"?$/gm)].map((m) => m[1]);
  return { dir: dest, root: path.join(dest, 'root'), bin: path.join(dest, 'bin'), now, extra };
}

/** Exporter flags for a host copy (exporter process metrics off, as the tests do; the clock runs: it changes no cost). */
export function hostArgs(h, more = []) {
  // A flag in `more` replaces the host's own: the exporter rejects a repeated flag.
  const name = (a) => a.replace(/^--(no-)?/, '').split('=')[0];
  const overridden = new Set(more.map(name));
  const base = [`--path.rootfs=${h.root}`, `--exec.path=${h.bin}`, '--web.disable-exporter-metrics', ...h.extra];
  return [...base.filter((a) => !overridden.has(name(a))), ...more];
}

export async function startExporter(h, more = [], name = 'klp_exporter') {
  const port = await freePort();
  const proc = start(process.execPath, [...NODE_FLAGS, SHIPPED, `--web.listen-address=${LOOPBACK}:${port}`, ...hostArgs(h, more)], { name, env: cleanEnv(UNIT.env) });
  const url = `http://${LOOPBACK}:${port}`;
  await waitHttp(`${url}/-/healthy`, proc);
  return { proc, url, metrics: `${url}/metrics`, port };
}

/** RSS of a process in bytes, from /proc. */
export function rssBytes(pid) {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

// ---- load ----------------------------------------------------------------------------------------

function parseDuration(s) {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(s.trim());
  if (!m) return NaN;
  const f = { us: 0.001, ms: 1, s: 1000, m: 60_000 }[m[2]];
  return Number(m[1]) * f;
}

/** Run wrk against `url`; returns req/s and latency percentiles (ms). */
export function wrk(url, { connections, seconds, threads = 1 }) {
  return new Promise((resolve, reject) => {
    const args = [`-t${threads}`, `-c${connections}`, `-d${seconds}s`, '--latency', '--timeout', '10s', url];
    const p = start('wrk', args, { name: 'wrk' });
    p.exited.then((code) => {
      const out = p.log();
      if (code !== 0) return reject(new Error(`wrk ${args.join(' ')} failed (${code}):\n${out}`));
      const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
      const pct = (q) => parseDuration(new RegExp(`^\\s+${q}%\\s+(\\S+)`, 'm').exec(out)?.[1] ?? '');
      const errors = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
      const socket = /Socket errors:[^\n]*/.exec(out)?.[0];
      const m = /(\d+) requests in ([\d.]+\w+),/.exec(out);
      const requests = Number(m?.[1]);
      const seconds = parseDuration(m?.[2] ?? '') / 1000;
      // Only successful scrapes count: a 503 ("too many requests") is fast but useless.
      const ok = (requests - errors) / seconds;
      resolve({ rps: ok, rawRps: rps, p50: pct(50), p90: pct(90), p99: pct(99), requests, errors, socket, args });
    });
  });
}

/**
 * `n` GET requests on `concurrency` keep-alive connections; returns per-request latencies (ms)
 * and the status codes seen. Used where a fixed number of scrapes matters (wrk runs for a time).
 */
export async function scrapeN(url, n, concurrency = 8, { onEach } = {}) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies = new Float64Array(n);
  const statuses = new Map();
  let next = 0;
  const one = () =>
    new Promise((resolve, reject) => {
      const t0 = performance.now();
      const req = http.get(url, { agent }, (res) => {
        res.on('data', () => undefined);
        res.on('end', () => resolve([res.statusCode, performance.now() - t0]));
      });
      req.on('error', reject);
      req.setTimeout(30_000, () => req.destroy(new Error(`timeout: ${url}`)));
    });
  const worker = async () => {
    while (next < n) {
      const i = next++;
      const [status, ms] = await one();
      latencies[i] = ms;
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      if (onEach) onEach(i, ms);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  agent.destroy();
  return { latencies, statuses };
}

/** Keep scraping `url` for `ms` milliseconds; latencies with their start times. */
export async function scrapeFor(url, ms, concurrency = 2) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const until = performance.now() + ms;
  const out = [];
  const one = () =>
    new Promise((resolve, reject) => {
      const t0 = performance.now();
      const req = http.get(url, { agent }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ at: t0, ms: performance.now() - t0, status: res.statusCode, body }));
      });
      req.on('error', reject);
      req.setTimeout(30_000, () => req.destroy(new Error(`timeout: ${url}`)));
    });
  const worker = async () => {
    while (performance.now() < until) out.push(await one());
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  agent.destroy();
  return out.sort((a, b) => a.at - b.at);
}

// ---- statistics ----------------------------------------------------------------------------------

export function quantile(values, q) {
  const a = Array.from(values).sort((x, y) => x - y);
  if (a.length === 0) return NaN;
  const i = Math.min(a.length - 1, Math.max(0, Math.ceil(q * a.length) - 1));
  return a[i];
}
export const median = (v) => {
  const a = Array.from(v).sort((x, y) => x - y);
  if (a.length === 0) return NaN;
  const m = a.length >> 1;
  return a.length % 2 ? a[m] : (a[m - 1] + a[m]) / 2;
};
export const fmt = (n, d = 2) => (Number.isFinite(n) ? n.toFixed(d) : String(n));
export const mib = (b) => b / 1024 / 1024;
