// Per-host cost: what the exporter costs a host that is scraped every 15 s, measured as shipped
// (the node flags and environment of the systemd unit and of the container image, default flags,
// process metrics on, scrapes as Prometheus sends them, with gzip) against node_exporter's
// textfile collector serving the same metrics, in the same run.
//
// CPU is read from /proc/PID/task/*/schedstat (nanoseconds on CPU, per thread), not from the tick
// counters of /proc/PID/stat, whose 10 ms resolution is larger than node_exporter's cost per scrape.

import { execFileSync } from 'node:child_process';
import { promises as fs, existsSync, readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { cleanEnv, describeDeployment as describe, serviceDeployments, TEXTFILE_UNIT, unitDeployment } from './deployment.mjs';
import { copyHost, fmt, freePort, LOOPBACK, median, mib, PROJECT, quantile, rssBytes, sample, sleep, start, waitHttp } from './lib.mjs';

const SCENARIO = 'sles15sp6-patched';

/** What Prometheus 2.x sends with every scrape. */
export const PROMETHEUS_HEADERS = {
  Accept: 'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1',
  'Accept-Encoding': 'gzip',
  'User-Agent': 'Prometheus/2.42.0',
  'X-Prometheus-Scrape-Timeout-Seconds': '10',
};

// ---- measuring a process ---------------------------------------------------------------------------

/** CPU time (ns) and context switches (voluntary + involuntary) of all threads of a process. */
export function cpuOf(pid) {
  let ns = 0;
  let switches = 0;
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ')[0]);
      const st = readFileSync(`/proc/${pid}/task/${t}/status`, 'utf8');
      switches += Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(st)?.[1] ?? 0) + Number(/^nonvoluntary_ctxt_switches:\s+(\d+)/m.exec(st)?.[1] ?? 0);
    } catch {
      // a thread that just exited
    }
  }
  return { ns, switches, at: performance.now() };
}

/** One request with Prometheus's headers on a keep-alive agent; resolves to [status, body bytes, headers]. */
function scrape(url, agent) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, headers: PROMETHEUS_HEADERS }, (res) => {
      let n = 0;
      res.on('data', (d) => (n += d.length));
      res.on('end', () => resolve([res.statusCode, n, res.headers]));
    });
    req.on('error', reject);
    req.setTimeout(30_000, () => req.destroy(new Error(`timeout: ${url}`)));
  });
}

/** Bytes on the wire for one scrape as Prometheus sends it: the whole response, headers included. */
export function wireBytes(port, pathname = '/metrics') {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: LOOPBACK, port });
    const headers = Object.entries(PROMETHEUS_HEADERS)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('');
    let n = 0;
    let head = '';
    sock.on('connect', () => sock.write(`GET ${pathname} HTTP/1.1\r\nHost: ${LOOPBACK}:${port}\r\n${headers}Connection: close\r\n\r\n`));
    sock.on('data', (d) => {
      n += d.length;
      if (head.length < 4096) head += d.toString('latin1');
    });
    sock.on('end', () => {
      const top = head.slice(0, head.indexOf('\r\n\r\n'));
      resolve({ bytes: n, status: Number(/^HTTP\/1\.1 (\d+)/.exec(top)?.[1]), encoding: /^content-encoding:\s*(\S+)/im.exec(top)?.[1] ?? 'identity', contentType: /^content-type:\s*([^\r\n]+)/im.exec(top)?.[1] });
    });
    sock.on('error', reject);
    sock.setTimeout(30_000, () => sock.destroy(new Error('timeout')));
  });
}

/** Time from spawn to the first 200 on `url` (polled every 2 ms on fresh connections). */
async function timeToFirst200(cmd, args, env, url) {
  const t0 = performance.now();
  const proc = start(cmd, args, { name: path.basename(cmd), env });
  try {
    for (;;) {
      if (!proc.running()) throw new Error(`${proc.name} exited before answering ${url}:\n${proc.log().slice(-2000)}`);
      const status = await new Promise((resolve) => {
        const req = http.get(url, { agent: false }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode));
        });
        req.on('error', () => resolve(0));
      });
      // CPU too: on a busy machine the wall time says more about the machine than the process.
      if (status === 200) return { s: (performance.now() - t0) / 1000, cpuS: cpuOf(proc.pid).ns / 1e9 };
      if (performance.now() - t0 > 20_000) throw new Error(`${proc.name}: no 200 on ${url} within 20 s`);
      await sleep(2);
    }
  } finally {
    await proc.stop();
  }
}

// ---- the servers ---------------------------------------------------------------------------------

async function startServer(kind, { host, tfDir, deployment, bareFile }) {
  const port = await freePort();
  let proc;
  if (kind === 'node_exporter') {
    proc = start('prometheus-node-exporter', neArgs(tfDir, port), { name: 'node_exporter', env: cleanEnv({}) });
  } else if (kind === 'bare') {
    proc = start(process.execPath, [path.join(PROJECT, 'bench/bare-server.mjs'), String(port), bareFile], { name: 'bare node http', env: cleanEnv({}) });
  } else {
    proc = start(process.execPath, [...deployment.nodeFlags, deployment.program, ...exporterArgs(host, port)], { name: `klp_exporter (${deployment.name})`, env: cleanEnv(deployment.env) });
  }
  const url = `http://${LOOPBACK}:${port}/metrics`;
  await waitHttp(url, proc, 30_000);
  return { kind, proc, port, url, deployment };
}

/** The exporter's default flags; only where the host is differs from a real host. */
const exporterArgs = (host, port) => [`--web.listen-address=${LOOPBACK}:${port}`, `--path.rootfs=${host.root}`, `--exec.path=${host.bin}`];
/** node_exporter's textfile collector only, with its own exporter metrics (the default), like the exporter's process metrics. */
const neArgs = (tfDir, port) => ['--collector.disable-defaults', '--collector.textfile', `--collector.textfile.directory=${tfDir}`, `--web.listen-address=${LOOPBACK}:${port}`];

/** Wait until the exporter's cached collectors have a value (the warm-up after start). */
async function waitCached(url) {
  const until = Date.now() + 30_000;
  while (Date.now() < until) {
    const res = await fetch(url);
    const text = await res.text();
    if (['packages', 'klp', 'lifecycle'].every((c) => sample(text, 'klp_scrape_collector_last_success_timestamp_seconds', `collector="${c}"`) !== undefined)) return;
    await sleep(100);
  }
  throw new Error('the exporter did not finish its warm-up');
}

// ---- the section ---------------------------------------------------------------------------------

/**
 * @param {{ tmp: string, quick: boolean, log: (...a: string[]) => void, target: (name: string, met: boolean, detail: string) => void }} o
 */
export async function hostCostBench({ tmp, quick, log, target }) {
  const cfg = quick
    ? { starts: 3, settleS: 10, idleS: 10, paced: 30, rounds: 3, pacedMs: 100, curve: 20_000, curveStep: 5_000, textfileRuns: 3 }
    : { starts: 7, settleS: 30, idleS: 60, paced: 200, rounds: 5, pacedMs: 100, curve: 200_000, curveStep: 20_000, textfileRuns: 5 };
  for (const [k, env] of [
    ['idleS', 'BENCH_HOST_IDLE_S'],
    ['curve', 'BENCH_HOST_SCRAPES'],
  ])
    if (process.env[env]) cfg[k] = Number(process.env[env]);
  cfg.curveStep = Math.min(cfg.curveStep, cfg.curve);
  const deployments = serviceDeployments();
  const textfileDeployment = unitDeployment(TEXTFILE_UNIT);
  log(`bench: per-host cost (${deployments.map(describe).join(' | ')})`);

  const host = await copyHost(SCENARIO, path.join(tmp, 'host-cost-host'));
  const tfDir = path.join(tmp, 'host-cost-textfile');
  await fs.mkdir(tfDir);
  const tfFile = path.join(tfDir, 'klp.prom');
  execFileSync(process.execPath, [...textfileDeployment.nodeFlags, textfileDeployment.program, `--path.rootfs=${host.root}`, `--exec.path=${host.bin}`, `--textfile.output=${tfFile}`], {
    stdio: 'ignore',
    timeout: 60_000,
    env: cleanEnv(textfileDeployment.env),
  });
  const bareFile = path.join(tmp, 'host-cost-bare.prom');

  const kinds = [...deployments.map((d) => ({ key: `exporter:${d.name}`, kind: 'exporter', deployment: d })), { key: 'node_exporter', kind: 'node_exporter' }, { key: 'bare', kind: 'bare' }];
  const res = { cfg, deployments: deployments.map((d) => ({ name: d.name, command: describe(d) })), textfileDeployment: describe(textfileDeployment), servers: {} };
  for (const k of kinds)
    res.servers[k.key] = { kind: k.kind, label: k.kind === 'exporter' ? `klp_exporter${deployments.length > 1 ? ` (${k.deployment.name})` : ''}` : k.kind === 'bare' ? 'bare Node http' : 'node_exporter' };

  // 1. exec → first 200 on /metrics, warm page cache (one unmeasured start first).
  {
    const exp = await startServer('exporter', { host, deployment: deployments[0] });
    await waitCached(exp.url);
    await fs.writeFile(bareFile, await (await fetch(exp.url)).text());
    await exp.proc.stop();
  }
  for (const k of kinds) {
    const port = await freePort();
    const url = `http://${LOOPBACK}:${port}/metrics`;
    const [cmd, args, env] =
      k.kind === 'node_exporter'
        ? ['prometheus-node-exporter', neArgs(tfDir, port), cleanEnv({})]
        : k.kind === 'bare'
          ? [process.execPath, [path.join(PROJECT, 'bench/bare-server.mjs'), String(port), bareFile], cleanEnv({})]
          : [process.execPath, [...k.deployment.nodeFlags, k.deployment.program, ...exporterArgs(host, port)], cleanEnv(k.deployment.env)];
    const times = [];
    for (let i = 0; i <= cfg.starts; i++) {
      const t = await timeToFirst200(cmd, args, env, url);
      if (i > 0) times.push(t);
    }
    const wall = times.map((t) => t.s);
    res.servers[k.key].start = { median: median(wall), max: Math.max(...wall), min: Math.min(...wall), cpuS: median(times.map((t) => t.cpuS)), n: times.length };
    log(`  ${res.servers[k.key].label}: exec → first 200 ${fmt(median(wall), 3)} s (median of ${times.length}, min ${fmt(Math.min(...wall), 3)}), ${fmt(res.servers[k.key].start.cpuS, 3)} s CPU`);
  }

  // 2. All servers up at once: idle RSS, idle CPU and wake-ups over the same window.
  const servers = {};
  for (const k of kinds) servers[k.key] = await startServer(k.kind, { host, tfDir, deployment: k.deployment, bareFile });
  for (const s of Object.values(servers)) if (s.kind === 'exporter') await waitCached(s.url);
  for (const s of Object.values(servers)) {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    await scrape(s.url, agent);
    agent.destroy();
  }
  // V8 finishes compiling and shrinks the heap in the first seconds after the start: not idleness.
  await sleep(cfg.settleS * 1000);
  for (const [key, s] of Object.entries(servers)) res.servers[key].rssIdle = rssBytes(s.proc.pid);
  log(`  idle window ${cfg.idleS} s`);
  const before = Object.fromEntries(Object.entries(servers).map(([key, s]) => [key, cpuOf(s.proc.pid)]));
  await sleep(cfg.idleS * 1000);
  for (const [key, s] of Object.entries(servers)) {
    const a = before[key];
    const b = cpuOf(s.proc.pid);
    const secs = (b.at - a.at) / 1000;
    res.servers[key].idle = { cpuMsPerS: (b.ns - a.ns) / 1e6 / secs, wakeupsPerS: (b.switches - a.switches) / secs, seconds: secs };
  }

  // 3. CPU per scrape: paced scrapes as Prometheus sends them, minus the idle CPU of the same time. In
  // rounds that visit every server in turn (the order rotating), so that a burst of other work on the
  // machine falls on all of them; the median round counts.
  const agents = Object.fromEntries(Object.keys(servers).map((key) => [key, new http.Agent({ keepAlive: true, maxSockets: 1 })]));
  const perRound = Object.fromEntries(Object.keys(servers).map((key) => [key, []]));
  const latencies = Object.fromEntries(Object.keys(servers).map((key) => [key, []]));
  for (const [key, s] of Object.entries(servers)) await scrape(s.url, agents[key]);
  const keys = Object.keys(servers);
  const batch = Math.ceil(cfg.paced / cfg.rounds);
  for (let round = 0; round < cfg.rounds; round++) {
    for (let j = 0; j < keys.length; j++) {
      const key = keys[(round + j) % keys.length];
      const s = servers[key];
      const a = cpuOf(s.proc.pid);
      for (let i = 0; i < batch; i++) {
        const t0 = performance.now();
        const [status] = await scrape(s.url, agents[key]);
        latencies[key].push(performance.now() - t0);
        if (status !== 200) throw new Error(`${key}: status ${status}`);
        await sleep(cfg.pacedMs);
      }
      const b = cpuOf(s.proc.pid);
      const idleNs = (res.servers[key].idle.cpuMsPerS * 1e6 * (b.at - a.at)) / 1000;
      perRound[key].push(Math.max(0, b.ns - a.ns - idleNs) / 1e6 / batch);
    }
  }
  for (const [key, s] of Object.entries(servers)) {
    agents[key].destroy();
    const perScrapeMs = median(perRound[key]);
    const w = await wireBytes(s.port);
    res.servers[key].scrape = { cpuMs: perScrapeMs, rounds: perRound[key], p50: quantile(latencies[key], 0.5), p99: quantile(latencies[key], 0.99), wire: w };
    res.servers[key].per15s = res.servers[key].idle.cpuMsPerS * 15 + perScrapeMs;
    log(
      `  ${res.servers[key].label}: idle ${fmt(res.servers[key].idle.cpuMsPerS, 3)} ms/s, ${fmt(res.servers[key].idle.wakeupsPerS, 1)} wake-ups/s; scrape ${fmt(perScrapeMs, 3)} ms CPU (rounds ${perRound[key].map((x) => fmt(x, 2)).join(' ')}), ${w.bytes} bytes (${w.encoding}); per 15 s ${fmt(res.servers[key].per15s, 2)} ms; RSS idle ${fmt(mib(res.servers[key].rssIdle), 1)} MiB`,
    );
  }
  for (const [key, s] of Object.entries(servers)) {
    if (s.kind !== 'bare') continue;
    await s.proc.stop();
    delete servers[key];
  }

  // 4. RSS over many scrapes at full speed (10 keep-alive connections each, Prometheus's headers). The
  // servers run their curves at the same time (RSS and CPU per scrape do not depend on sharing the
  // cores; the rates do, and are shown for information only).
  await Promise.all(
    Object.entries(servers).map(async ([key, s]) => {
      const curve = [{ scrapes: 0, rss: rssBytes(s.proc.pid) }];
      const t0 = performance.now();
      const c0 = cpuOf(s.proc.pid);
      let pausedMs = 0;
      for (let done = 0; done < cfg.curve;) {
        const n = Math.min(cfg.curveStep, cfg.curve - done);
        await scrapeMany(s.url, n, 10);
        done += n;
        await sleep(1000);
        pausedMs += 1000;
        curve.push({ scrapes: done, rss: rssBytes(s.proc.pid) });
      }
      const c1 = cpuOf(s.proc.pid);
      res.servers[key].curve = curve;
      res.servers[key].fullSpeed = { rate: cfg.curve / ((performance.now() - t0 - pausedMs) / 1000), cpuMsPerScrape: (c1.ns - c0.ns) / 1e6 / cfg.curve };
      log(`  ${res.servers[key].label}: RSS ${curve.map((c) => fmt(mib(c.rss), 1)).join(' → ')} MiB over ${cfg.curve} scrapes (${fmt(res.servers[key].fullSpeed.rate, 0)}/s)`);
    }),
  );
  for (const s of Object.values(servers)) await s.proc.stop();

  // 5. Textfile mode: one run as the timer starts it, CPU and peak RSS of the exporter process.
  res.textfile = await textfileRuns({ host, tmp, deployment: textfileDeployment, runs: cfg.textfileRuns });
  log(`  textfile run: ${fmt(res.textfile.cpuS, 3)} s CPU (exporter), ${fmt(res.textfile.totalCpuS, 3)} s with the commands it ran, peak RSS ${fmt(mib(res.textfile.peakRss), 1)} MiB, ${fmt(res.textfile.wallS, 2)} s`);

  // Targets.
  const ne = res.servers.node_exporter;
  for (const d of deployments) {
    const e = res.servers[`exporter:${d.name}`];
    const sfx = deployments.length > 1 ? ` [${d.name}]` : '';
    e.ratios = {
      per15s: e.per15s / ne.per15s,
      scrape: e.scrape.cpuMs / ne.scrape.cpuMs,
      rssIdle: e.rssIdle / ne.rssIdle,
      start: e.start.median / ne.start.median,
      wire: e.scrape.wire.bytes / ne.scrape.wire.bytes,
    };
    const at = (n) => e.curve.find((c) => c.scrapes >= n) ?? e.curve[e.curve.length - 1];
    const half = at(cfg.curve / 2);
    const end = e.curve[e.curve.length - 1];
    target(`CPU per 15 s scrape interval ≤ 3× node_exporter's${sfx}`, e.ratios.per15s <= 3, `${fmt(e.ratios.per15s)}× (${fmt(e.per15s, 2)} vs ${fmt(ne.per15s, 2)} ms)`);
    target(
      `no periodic wake-ups while idle (≤ node_exporter's + 1/s)${sfx}`,
      e.idle.wakeupsPerS <= ne.idle.wakeupsPerS + 1,
      `${fmt(e.idle.wakeupsPerS, 2)} vs ${fmt(ne.idle.wakeupsPerS, 2)} wake-ups/s; ${fmt(e.idle.cpuMsPerS, 3)} vs ${fmt(ne.idle.cpuMsPerS, 3)} ms CPU/s`,
    );
    target(`RSS idle ≤ 55 MiB${sfx}`, e.rssIdle <= 55 * 2 ** 20, `${fmt(mib(e.rssIdle), 1)} MiB (node_exporter ${fmt(mib(ne.rssIdle), 1)} MiB, ${fmt(e.ratios.rssIdle)}×)`);
    target(`RSS after ${half.scrapes} scrapes ≤ 65 MiB${sfx}`, half.rss <= 65 * 2 ** 20, `${fmt(mib(half.rss), 1)} MiB`);
    // RSS follows the garbage collector up and down, in a sawtooth whose period can be as long as the
    // curve: single points, and even the peaks of the two halves, land on either side of a full GC.
    // Flat means no trend: the second half stays under the goal's 65 MiB everywhere and its mean is
    // no higher than the first half's (after the start) plus 2 MiB.
    const points = (from, to) => e.curve.filter((c) => c.scrapes > from && c.scrapes <= to).map((c) => c.rss);
    const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const [first, second] = [points(0, half.scrapes), points(half.scrapes, end.scrapes)];
    target(
      `RSS flat from ${half.scrapes} to ${end.scrapes} scrapes (every point ≤ 65 MiB, mean ≤ the first half's mean + 2 MiB)${sfx}`,
      Math.max(...second) <= 65 * 2 ** 20 && mean(second) - mean(first) <= 2 * 2 ** 20,
      `mean ${fmt(mib(mean(second)), 1)} MiB after ${half.scrapes} (max ${fmt(mib(Math.max(...second)), 1)}), ${fmt(mib(mean(first)), 1)} MiB before (max ${fmt(mib(Math.max(...first)), 1)})`,
    );
    target(
      `exec → first 200 on /metrics ≤ 0.5 s${sfx}`,
      e.start.median <= 0.5,
      `${fmt(e.start.median, 3)} s median, min ${fmt(e.start.min, 3)}, max ${fmt(e.start.max, 3)} s, ${fmt(e.start.cpuS, 3)} s CPU (node_exporter ${fmt(ne.start.median, 3)} s)`,
    );
    target(
      `gzip answered (Accept-Encoding: gzip)${sfx}`,
      e.scrape.wire.encoding === 'gzip',
      `${e.scrape.wire.bytes} bytes on the wire (${e.scrape.wire.encoding}), node_exporter ${ne.scrape.wire.bytes} (${ne.scrape.wire.encoding})`,
    );
  }
  return res;
}

/** Keep-alive GETs with Prometheus's headers from `concurrency` connections, `n` in all. */
async function scrapeMany(url, n, concurrency) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  let next = 0;
  const worker = async () => {
    while (next < n) {
      next++;
      const [status] = await scrape(url, agent);
      if (status !== 200) throw new Error(`${url}: status ${status}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  agent.destroy();
}

/**
 * Textfile mode as the timer starts it. The exporter's own CPU and peak RSS come from
 * process.resourceUsage() at exit (a preloaded module writes them to a file); /usr/bin/time
 * adds the commands it ran (on the fixture host they are Node.js fakes, heavier than rpm on a
 * small database).
 */
async function textfileRuns({ host, tmp, deployment, runs }) {
  const preload = path.join(PROJECT, 'bench/rusage-preload.mjs');
  const out = [];
  for (let i = 0; i < runs; i++) {
    const usageFile = path.join(tmp, `textfile-usage-${i}.json`);
    const args = [...deployment.nodeFlags, `--import=${preload}`, deployment.program, `--path.rootfs=${host.root}`, `--exec.path=${host.bin}`, `--textfile.output=${path.join(tmp, 'textfile-run.prom')}`];
    const timeOut = path.join(tmp, `textfile-time-${i}.txt`);
    const hasTime = existsSync('/usr/bin/time');
    const t0 = performance.now();
    if (hasTime) execFileSync('/usr/bin/time', ['-f', '%U %S %M', '-o', timeOut, process.execPath, ...args], { stdio: 'ignore', timeout: 120_000, env: cleanEnv({ ...deployment.env, BENCH_RUSAGE_FILE: usageFile }) });
    else execFileSync(process.execPath, args, { stdio: 'ignore', timeout: 120_000, env: cleanEnv({ ...deployment.env, BENCH_RUSAGE_FILE: usageFile }) });
    const wallS = (performance.now() - t0) / 1000;
    const u = JSON.parse(readFileSync(usageFile, 'utf8'));
    const total = hasTime ? readFileSync(timeOut, 'utf8').trim().split('\n').pop().split(' ').map(Number) : undefined;
    out.push({ cpuS: (u.userCPUTime + u.systemCPUTime) / 1e6, peakRss: u.maxRSS * 1024, wallS, totalCpuS: total ? total[0] + total[1] : NaN });
  }
  return {
    runs,
    cpuS: median(out.map((o) => o.cpuS)),
    peakRss: median(out.map((o) => o.peakRss)),
    wallS: median(out.map((o) => o.wallS)),
    totalCpuS: median(out.map((o) => o.totalCpuS)),
  };
}

// ---- report ------------------------------------------------------------------------------------------

export function hostCostMarkdown(r) {
  const L = [];
  const p = (s = '') => L.push(s);
  const ne = r.servers.node_exporter;
  const bare = r.servers.bare;
  const exps = Object.entries(r.servers).filter(([, s]) => s.kind === 'exporter');
  p('## 0. Per-host cost, as shipped');
  p();
  p(`The exporter as shipped: ${r.deployments.map((d) => `${d.name}: \`${d.command}\``).join('; ')}, with its default flags`);
  p('(process metrics on) and only the host paths pointed at a copy of the `sles15sp6-patched` fixture host. node_exporter 1.5 runs its');
  p("textfile collector alone, serving the same families from a file written by the exporter's textfile mode, with its own exporter");
  p("metrics on (its default, like the exporter's process metrics). Every scrape carries the headers Prometheus 2.42 sends");
  p("(`Accept-Encoding: gzip`, its `Accept` header and scrape timeout). CPU is the sum of every thread's time on a CPU");
  p('(`/proc/PID/task/*/schedstat`, nanoseconds); wake-ups are context switches of all threads.');
  p();
  p(`- exec → first 200: spawn to the first 200 on \`/metrics\` (polled every 2 ms), median of ${r.cfg.starts} starts after one unmeasured start (warm page cache).`);
  p(`- idle: all servers up at once, ${r.cfg.idleS} s without a request, after one scrape and ${r.cfg.settleS} s of rest (RSS idle: at the end of the rest).`);
  p(`- per scrape: ${r.cfg.paced} scrapes ${r.cfg.pacedMs} ms apart on one keep-alive connection per server, CPU minus the idle CPU of the same time,`);
  p(`  in ${r.cfg.rounds} rounds that visit the servers in turn (rotating the order); the median round counts.`);
  p('- per 15 s interval: idle CPU × 15 s + one scrape. Bytes on the wire: the whole response to one scrape, headers included.');
  p(`- RSS curve: ${r.cfg.curve} scrapes at full speed from 10 keep-alive connections, RSS 1 s after every ${r.cfg.curveStep}; the servers run`);
  p('  their curves at the same time (the rates are for information: they share the two cores with each other and the clients).');
  p();
  const cols = [...exps.map(([, s]) => s), ne, bare];
  p(`| | ${cols.map((s) => s.label).join(' | ')} |${exps.map(() => ' exporter / node_exporter |').join('')}`);
  p(`|---|${cols.map(() => '---|').join('')}${exps.map(() => '---|').join('')}`);
  const row = (name, f, ratio) => p(`| ${name} | ${cols.map((s) => (s ? f(s) : '')).join(' | ')} |${exps.map(([, s]) => ` ${ratio ? `**${fmt(ratio(s))}×**` : ''} |`).join('')}`);
  row('CPU while idle (ms/s)', (s) => fmt(s.idle.cpuMsPerS, 3), null);
  row('wake-ups while idle (/s)', (s) => fmt(s.idle.wakeupsPerS, 2), null);
  row(
    'CPU per scrape (ms)',
    (s) => fmt(s.scrape.cpuMs, 3),
    (s) => s.ratios.scrape,
  );
  row(
    'CPU per 15 s scrape interval (idle × 15 s + one scrape, ms)',
    (s) => fmt(s.per15s, 2),
    (s) => s.ratios.per15s,
  );
  row('scrape latency p50 / p99 (ms, paced)', (s) => `${fmt(s.scrape.p50)} / ${fmt(s.scrape.p99)}`, null);
  row(
    'bytes on the wire per scrape',
    (s) => `${s.scrape.wire.bytes} (${s.scrape.wire.encoding})`,
    (s) => s.ratios.wire,
  );
  row(
    'RSS idle (MiB)',
    (s) => fmt(mib(s.rssIdle), 1),
    (s) => s.ratios.rssIdle,
  );
  row(
    `RSS after ${r.cfg.curve} scrapes (MiB)`,
    (s) => (s.curve ? fmt(mib(s.curve[s.curve.length - 1].rss), 1) : '–'),
    (s) => s.curve[s.curve.length - 1].rss / ne.curve[ne.curve.length - 1].rss,
  );
  row(
    'exec → first 200 on /metrics (s, median; min)',
    (s) => `${fmt(s.start.median, 3)}; ${fmt(s.start.min, 3)}`,
    (s) => s.ratios.start,
  );
  row(
    'CPU of the process until its first 200 (s, median)',
    (s) => fmt(s.start.cpuS, 3),
    (s) => s.start.cpuS / ne.start.cpuS,
  );
  row('full speed: scrapes/s, CPU ms per scrape', (s) => (s.fullSpeed ? `${fmt(s.fullSpeed.rate, 0)}, ${fmt(s.fullSpeed.cpuMsPerScrape, 3)}` : '–'), null);
  p();
  p('RSS (MiB) over scrapes at full speed:');
  p();
  const curved = cols.filter((s) => s.curve);
  p(`| scrapes | ${curved.map((s) => s.label).join(' | ')} |`);
  p(`|---|${curved.map(() => '---|').join('')}`);
  for (let i = 0; i < curved[0].curve.length; i++) p(`| ${curved[0].curve[i].scrapes} | ${curved.map((s) => fmt(mib(s.curve[i].rss), 1)).join(' | ')} |`);
  p();
  const t = r.textfile;
  const perHour = (t.cpuS * 12 * 1000) / (ne.per15s * 240);
  p(`Textfile mode (\`${r.textfileDeployment} --textfile.output=FILE\`, as prometheus-klp_exporter-textfile.timer starts it every 5 minutes), median of ${t.runs} runs:`);
  p(`${fmt(t.cpuS, 3)} s CPU in the exporter process (${fmt(t.totalCpuS, 3)} s with the commands it ran, which on the fixture host are Node.js fakes),`);
  p(`peak RSS ${fmt(mib(t.peakRss), 1)} MiB (${fmt(t.peakRss / ne.rssIdle)}× node_exporter's idle RSS, for ${fmt(t.wallS, 2)} s), ${fmt(t.wallS, 2)} s wall time. Per hour (12 runs) the`);
  p(`exporter process uses ${fmt(t.cpuS * 12, 2)} s CPU: ${fmt(perHour)}× what node_exporter uses in an hour of 15 s scrapes (${fmt((ne.per15s * 240) / 1000, 3)} s).`);
  p();
  return L;
}
