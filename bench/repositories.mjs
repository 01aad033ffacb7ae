// Section 6 of `npm run bench`: the repositories collector refreshing a large primary file.
// A copy of the sles15sp6-repo-update-available host; after the warm-up, its Live Patching
// repository's primary is replaced by a ~50 MB one (the real createrepo_c entries plus generated
// filler packages, and live patch 5 at the very end), repomd.xml is rewritten (a refresh, as zypper
// does), and while the exporter reads it: /-/healthy is requested back to back (its latency is the
// event loop's), RSS is sampled, and the refresh ends when klp_patch_available_version says 5.
// Peer in the same run: `gzip -dc` / `zstd -dc` of the same file (decompression alone, in C).

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fs, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { copyHost, fmt, freePort, get, LOOPBACK, mib, PROJECT, quantile, requireTool, rssBytes, sample, sleep, start, startExporter, waitHttp } from './lib.mjs';

const LP_ALIAS = 'SLE_Module_Live_Patching_15_SP6_x86_64:SLE-Module-Live-Patching15-SP6-Updates';
const TARGET_BYTES = 50 * 1024 * 1024;

/** createrepo_c's primary with filler packages up to `bytes`, and live patch 5 as the last package. */
export function largePrimary(real, bytes) {
  const first = real.indexOf('<package ');
  const end = real.lastIndexOf('</metadata>');
  const v4 = /<package type="rpm">\s*<name>kernel-livepatch-6_4_0-150600_23_25-default<\/name>[\s\S]*?<version epoch="0" ver="4"[\s\S]*?<\/package>\n?/.exec(real)[0];
  const v5 = v4.replaceAll('ver="4" rel="150600.13.12.1"', 'ver="5" rel="150600.13.15.1"').replaceAll('-4-150600.13.12.1', '-5-150600.13.15.1');
  const parts = [real.slice(0, first)];
  let size = real.length + v5.length;
  let n = 0;
  const desc = 'Filler package of the klp_exporter benchmark, shaped like a createrepo_c entry. '.repeat(6);
  while (size < bytes) {
    const name = `bench-filler-${n}`;
    const entry =
      `<package type="rpm">\n  <name>${name}</name>\n  <arch>x86_64</arch>\n  <version epoch="0" ver="1.${n % 89}" rel="150600.${n % 17}.1"/>\n` +
      `  <checksum type="sha256" pkgid="YES">${createHash('sha256').update(name).digest('hex')}</checksum>\n  <summary>Filler ${n}</summary>\n  <description>${desc}</description>\n` +
      `  <packager>https://www.suse.com/</packager>\n  <url></url>\n  <time file="1748000000" build="1748000000"/>\n  <size package="123456" installed="456789" archive="460000"/>\n` +
      `  <location href="x86_64/${name}-1-1.x86_64.rpm"/>\n  <format>\n    <rpm:license>GPL-2.0-only</rpm:license>\n    <rpm:vendor>SUSE LLC &lt;https://www.suse.com/&gt;</rpm:vendor>\n` +
      `    <rpm:group>System/Base</rpm:group>\n    <rpm:buildhost>h04-ch1b</rpm:buildhost>\n    <rpm:sourcerpm>${name}-1-1.src.rpm</rpm:sourcerpm>\n    <rpm:header-range start="6200" end="14000"/>\n` +
      `    <rpm:provides>\n      <rpm:entry name="${name}" flags="EQ" epoch="0" ver="1" rel="1"/>\n    </rpm:provides>\n    <rpm:requires>\n      <rpm:entry name="libc.so.6()(64bit)"/>\n    </rpm:requires>\n` +
      `    <file>/usr/bin/${name}</file>\n  </format>\n</package>\n`;
    parts.push(entry);
    size += entry.length;
    n++;
  }
  parts.push(real.slice(first, end), v5, '</metadata>\n');
  const text = parts.join('').replace(/packages="\d+"/, `packages="${n + Number(/packages="(\d+)"/.exec(real)[1]) + 1}"`);
  return { text, packages: n };
}

async function refreshOnce(tmp, kind, { log }) {
  const host = await copyHost('sles15sp6-repo-update-available', path.join(tmp, `repo-host-${kind}`));
  const repodata = path.join(host.root, 'var/cache/zypp/raw', LP_ALIAS, 'repodata');
  const primaryName = readdirSync(repodata).find((n) => n.endsWith('-primary.xml.gz'));
  const real = gunzipSync(readFileSync(path.join(repodata, primaryName))).toString('utf8');
  const { text, packages } = largePrimary(real, TARGET_BYTES);
  const raw = path.join(tmp, `bench-primary-${kind}.xml`);
  await fs.writeFile(raw, text);
  const file = kind === 'gzip' ? `${raw}.gz` : `${raw}.zst`;
  if (kind === 'gzip') await fs.writeFile(file, gzipSync(text, { level: 6 }));
  else execFileSync(requireTool('zstd', 'zstd'), ['-q', '-f', raw, '-o', file]); // zstd's default level (3)
  const stored = (await fs.stat(file)).size;

  // Peer: decompression alone, in C.
  const tool = kind === 'gzip' ? requireTool('gzip', 'gzip') : requireTool('zstd', 'zstd');
  const peerRuns = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    execFileSync(tool, ['-dc', file], { stdio: ['ignore', 'ignore', 'inherit'] });
    peerRuns.push(performance.now() - t0);
  }

  const memory = await measureRefresh(host, repodata, file, kind, 'memory');
  // A fresh copy: the second refresh starts from the same state as the first.
  const host2 = await copyHost('sles15sp6-repo-update-available', path.join(tmp, `repo-host-${kind}-latency`));
  const latency = await measureRefresh(host2, path.join(host2.root, 'var/cache/zypp/raw', LP_ALIAS, 'repodata'), file, kind, 'latency');
  const r = {
    kind,
    contentMiB: mib(Buffer.byteLength(text)),
    storedMiB: mib(stored),
    packages,
    refreshS: memory.refreshS,
    refreshUnderProbeS: latency.refreshS,
    peerMs: quantile(peerRuns, 0.5),
    baselineMiB: mib(memory.baseline),
    addedMiB: mib(memory.peak - memory.baseline),
    healthy: latency.healthy,
    peer: latency.peer,
  };
  log(`bench: 6. ${kind}: refresh ${fmt(r.refreshS, 2)} s, +${fmt(r.addedMiB, 1)} MiB, /-/healthy max ${fmt(r.healthy.max, 1)} ms`);
  return r;
}

/**
 * One refresh of the large primary. mode "memory": only RSS is sampled (every 10 ms; completion
 * polled every 250 ms). mode "latency": /-/healthy is requested back to back (its latency is the
 * event loop's); the two are separate runs so that the probes' own allocations do not count as
 * the refresh's memory.
 */
const stats = (v) => ({ n: v.length, p50: quantile(v, 0.5), p99: quantile(v, 0.99), max: v.length ? Math.max(...v) : NaN });

async function measureRefresh(host, repodata, file, kind, mode) {
  const exp = await startExporter(host);
  let bare;
  if (mode === 'latency') {
    const port = await freePort();
    const bodyFile = path.join(host.dir, 'bare-body.txt');
    await fs.writeFile(bodyFile, 'OK\n');
    const proc = start(process.execPath, [path.join(PROJECT, 'bench/bare-server.mjs'), String(port), bodyFile], { name: 'bare node http' });
    bare = { proc, url: `http://${LOOPBACK}:${port}/` };
    await waitHttp(bare.url, proc);
  }
  try {
    const until = Date.now() + 30_000;
    while (sample(await get(exp.metrics), 'klp_patch_available_version') !== 4) {
      if (Date.now() > until) throw new Error('bench: the repositories collector did not warm up');
      await sleep(100);
    }
    await sleep(1000);
    const base = [];
    for (let i = 0; i < 5; i++) {
      base.push(rssBytes(exp.proc.pid));
      await sleep(100);
    }
    const baseline = quantile(base, 0.5);

    // The refresh: the new primary, then repomd.xml replaced (a new modification time).
    const name = `bench-primary.xml.${kind === 'gzip' ? 'gz' : 'zst'}`;
    await fs.copyFile(file, path.join(repodata, name));
    const repomd = path.join(repodata, 'repomd.xml');
    const xml = readFileSync(repomd, 'utf8').replace(/repodata\/[0-9a-f]+-primary\.xml\.gz/, `repodata/${name}`);
    await fs.writeFile(`${repomd}.new`, xml);
    await fs.rename(`${repomd}.new`, repomd);

    const healthy = [];
    const peer = [];
    let peak = baseline;
    let done = false;
    const t0 = performance.now();
    const rssTimer = mode === 'memory' ? setInterval(() => (peak = Math.max(peak, rssBytes(exp.proc.pid))), 10) : undefined;
    const probeLoop = async (url, into) => {
      while (mode === 'latency' && !done) {
        const a = performance.now();
        const res = await fetch(url);
        await res.arrayBuffer();
        into.push(performance.now() - a);
      }
    };
    // The peer: a bare node:http server probed the same way at the same time shows what the machine
    // itself (scheduling, other load) adds to the latency.
    const probe = Promise.all([probeLoop(`${exp.url}/-/healthy`, healthy), ...(bare ? [probeLoop(bare.url, peer)] : [])]);
    let body = '';
    while (performance.now() - t0 < 120_000) {
      body = await get(exp.metrics);
      if (sample(body, 'klp_patch_available_version') === 5) break;
      await sleep(mode === 'memory' ? 250 : 50);
    }
    done = true;
    await probe;
    clearInterval(rssTimer);
    if (sample(body, 'klp_patch_available_version') !== 5) throw new Error(`bench: the ${kind} refresh did not finish`);
    if (sample(body, 'klp_scrape_collector_success', 'collector="repositories"') !== 1) throw new Error(`bench: the ${kind} refresh failed`);
    return {
      baseline,
      peak,
      refreshS: sample(body, 'klp_scrape_collector_duration_seconds', 'collector="repositories"'),
      healthy: stats(healthy),
      peer: stats(peer),
    };
  } finally {
    await exp.proc.stop();
    await bare?.proc.stop();
  }
}

export async function repositoriesBench({ tmp, log, target }) {
  log('bench: 6. repositories collector: refresh of a 50 MB primary file (gzip, zstd)');
  const runs = [];
  for (const kind of ['gzip', 'zstd']) runs.push(await refreshOnce(tmp, kind, { log }));
  for (const r of runs) {
    target(`${r.kind}: the refresh of a ${fmt(r.contentMiB, 0)} MiB primary adds < 20 MiB RSS`, r.addedMiB < 20, `+${fmt(r.addedMiB, 1)} MiB over ${fmt(r.baselineMiB, 1)} MiB`);
    target(
      `${r.kind}: /-/healthy never waits > 50 ms during the refresh`,
      r.healthy.max < 50,
      `max ${fmt(r.healthy.max, 1)} ms, p99 ${fmt(r.healthy.p99, 1)} ms over ${r.healthy.n} requests (bare server at the same time: max ${fmt(r.peer.max, 1)} ms, p99 ${fmt(r.peer.p99, 1)} ms)`,
    );
  }
  const md = [
    '## 6. Repository metadata: refresh of a large primary file',
    '',
    "Copies of the `sles15sp6-repo-update-available` host. After the warm-up, its Live Patching repository's primary is replaced by a",
    "generated one of about 50 MiB (createrepo_c's entries plus filler packages shaped like them, live patch 5 last) and `repomd.xml`",
    'is rewritten, as a zypper refresh does; the refresh ends when `klp_patch_available_version` says 5. Two runs per compression:',
    'one samples RSS every 10 ms (RSS added = peak − median before), one requests `/-/healthy` back to back (its latency is the event',
    "loop's). Peer: decompressing the same file with `gzip -dc` / `zstd -dc` (C, decompression only); ratio = refresh / peer.",
    '',
    '| compression | content MiB | stored MiB | packages | refresh s | peer (C decompression) s | ratio | RSS before MiB | RSS added MiB | /-/healthy p50 / p99 / max ms | bare server meanwhile p50 / p99 / max ms |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...runs.map(
      (r) =>
        `| ${r.kind} | ${fmt(r.contentMiB, 1)} | ${fmt(r.storedMiB, 1)} | ${r.packages} | ${fmt(r.refreshS, 2)} | ${fmt(r.peerMs / 1000, 2)} | ${fmt(r.refreshS / (r.peerMs / 1000), 1)}× | ${fmt(r.baselineMiB, 1)} | ${fmt(r.addedMiB, 1)} | ${fmt(r.healthy.p50, 1)} / ${fmt(r.healthy.p99, 1)} / ${fmt(r.healthy.max, 1)} | ${fmt(r.peer.p50, 1)} / ${fmt(r.peer.p99, 1)} / ${fmt(r.peer.max, 1)} |`,
    ),
    '',
    'The refresh time is the collector\'s own (`klp_scrape_collector_duration_seconds{collector="repositories"}`): streaming',
    "decompression (node's zlib for gzip; fzstd, pure JavaScript, for zstd on Node 20) and saxes parsing, in 8 KiB pieces with a pause",
    'for the event loop every 8 ms. Scrapes during the refresh are answered from the previous result.',
    '',
  ];
  return { runs, markdown: md };
}
