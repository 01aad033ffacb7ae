// 5. Fleet scale: a synthetic fleet of the exporter's series, backfilled into a Prometheus TSDB
// with `promtool tsdb create-blocks-from openmetrics`, then every dashboard query and every
// alert/recording rule expression timed against Prometheus (instant, and a range at the
// dashboard's step).

import { execFile } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, writeSync } from 'node:fs';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { FALLBACK_QUERIES } from './fleet-queries.mjs';
import { fmt, freePort, LOOPBACK, median, PROJECT, sleep, start, waitHttp } from './lib.mjs';

const DAY = 86_400;
/** promtool aligns blocks to one of Prometheus's block ranges; 486h is one (2h × 3^5). */
const BLOCK_HOURS = 486;
/** Grafana's step for a 7-day range on a panel about 1000 px wide (range / max data points, rounded). */
const RANGE_STEP_S = 600;
const JOB = 'klp';

/**
 * The fleet dashboard's time series panels read recorded series (alerts/klp.rules.yml); these are the
 * expressions over the raw series they replaced (with $job = klp, $instance = All), timed for comparison.
 * `compare`: how the raw result must relate to the recorded one at the end of the data.
 */
const REPLACED_RAW = [
  // Hosts up without a live patch state count as "unknown" (the recording rule records 0 when there are none).
  {
    panel: 'Live patch state over time',
    raw: 'sum by (state) (klp_livepatch_state{job=~"klp", instance=~".*"}) or label_replace(count(count by (job, instance) (klp_exporter_build_info{job=~"klp", instance=~".*"}) unless on (job, instance) klp_livepatch_state{job=~"klp", instance=~".*"}), "state", "unknown", "", "")',
    compare: 'equal-nonzero',
  },
  // The recording rule also records 0 for collectors that fail nowhere; the raw count has no series for them.
  { panel: 'Failing collectors', raw: 'count by (collector) (klp_scrape_collector_success{job=~"klp", instance=~".*"} == 0)', compare: 'equal-nonzero' },
  { panel: 'Collector duration (slowest host)', raw: 'max by (collector) (klp_scrape_collector_duration_seconds{job=~"klp", instance=~".*"})', compare: 'equal' },
  // The panel was "Scrape duration", one series per instance; it now shows the slowest host.
  { panel: 'Scrape duration (slowest host)', raw: 'scrape_duration_seconds{job=~"klp", instance=~".*"}', compare: 'max' },
];

// ---- the synthetic fleet -----------------------------------------------------------------------

/** Deterministic PRNG (mulberry32), so every run generates the same fleet. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Kernel revisions of the fleet, newest first: weight, live patch version at the start, expiry (days after the end). */
function kernels() {
  const sp6 = (rev, w, ver, expiryDays) => ({ release: `6.4.0-${rev}-default`, version: '6.4.0', revision: rev, weight: w, ver, expiryDays, os: '15.6' });
  const sp5 = (rev, w, ver, expiryDays) => ({ release: `5.14.21-${rev}-default`, version: '5.14.21', revision: rev, weight: w, ver, expiryDays, os: '15.5' });
  const ks = [
    sp6('150600.23.47', 0.18, 1, 390),
    sp6('150600.23.38', 0.22, 3, 300),
    sp6('150600.23.30', 0.15, 5, 200),
    sp6('150600.23.25', 0.15, 7, 138),
    sp6('150600.23.22', 0.08, 8, 24),
    sp5('150500.55.88', 0.1, 6, 60),
    sp5('150500.55.73', 0.07, 9, 5),
    sp5('150500.55.65', 0.05, 11, -3),
  ];
  for (const k of ks) {
    const l = (flavor) => `release="${k.release}",version="${k.version}",revision="${k.revision}",flavor="${flavor}"`;
    k.info = l('default');
    k.infoAzure = l('azure');
    k.osInfo = `id="sles",version_id="${k.os}",pretty_name="SUSE Linux Enterprise Server ${k.os === '15.6' ? '15 SP6' : '15 SP5'}"`;
    k.releaseRevision = `release="${k.release}",revision="${k.revision}"`;
  }
  return ks;
}

function pick(r, items) {
  let x = r() * items.reduce((a, b) => a + b.weight, 0);
  for (const it of items) if ((x -= it.weight) <= 0) return it;
  return items[items.length - 1];
}

/**
 * Per host and time step: what its exporter would report. A realistic mixture: mostly patched,
 * some unpatched, a few unsupported (azure flavor), transitions during the mid-week update,
 * lagging hosts, updates installed but not applied, reboots into a newer kernel, failing
 * collectors and a few hosts down for a while.
 */
function simulate({ hosts, steps, t0, interval }) {
  const ks = kernels();
  const end = t0 + (steps - 1) * interval;
  const updateAt = t0 + 3 * DAY; // a new live patch for every kernel, rolled out over two days
  const fleet = [];
  for (let h = 0; h < hosts; h++) {
    const r = rng(h + 1);
    const instance = `host-${String(h).padStart(5, '0')}.example.com:10055`;
    let k = pick(r, ks);
    const unsupported = r() < 0.02;
    const unpatched = !unsupported && r() < 0.04;
    const lag = r() < 0.1 ? 1 : 0;
    const installAt = updateAt + Math.floor(r() * 2 * DAY);
    const u = r();
    const applyDelay = u < 0.9 ? 0 : u < 0.98 ? Math.floor(r() * 12 * 3600) : 100 * DAY;
    const stuck = r() < 0.002;
    const rebootAt = r() < 0.12 ? t0 + Math.floor(r() * 7 * DAY) : Infinity;
    const newer = r() < 0.08;
    // A failing livepatch collector leaves the host without a live patch state: "unknown" on the dashboards.
    const failing = r() < 0.005 ? ['lifecycle', 'klp', 'packages', 'livepatch'][Math.floor(r() * 4)] : undefined;
    const sysfsUnread = failing === 'livepatch';
    const downFrom = r() < 0.003 ? t0 + Math.floor(r() * 6 * DAY) : Infinity;
    const exporterVersion = r() < 0.9 ? '0.1.0' : '0.0.9';
    const pkgSeconds = 0.2 + r() * 1.3;
    const rss = 52e6 + r() * 10e6;
    const st = [];
    for (let i = 0; i < steps; i++) {
      const t = t0 + i * interval;
      if (t >= rebootAt && k !== ks[0]) k = ks[0];
      const kk = t >= rebootAt ? ks[0] : k;
      const updated = t >= updateAt + (kk === ks[0] ? 0 : 0);
      const base = kk.ver + (updated ? 1 : 0) - lag;
      const installed = unsupported ? undefined : unpatched ? base : t >= installAt ? base : base - (updated ? 1 : 0);
      const active = unsupported || sysfsUnread ? undefined : unpatched ? 0 : t >= installAt + applyDelay ? installed : Math.min(installed, base - (updated ? 1 : 0));
      const inTransition = !unsupported && !unpatched && ((t >= installAt + applyDelay && t < installAt + applyDelay + interval && h % 50 === 0) || (stuck && t >= installAt));
      const state = sysfsUnread ? undefined : unsupported ? 'unsupported' : unpatched ? 'unpatched' : inTransition ? 'transition' : 'patched';
      st.push({ t, k: kk, installed, active, state, up: t < downFrom || t >= downFrom + 6 * 3600 });
    }
    fleet.push({ h, instance, unsupported, newer, failing, exporterVersion, pkgSeconds, rss, st, r });
  }
  return { fleet, end, ks };
}

/**
 * Write the fleet as OpenMetrics (one family at a time, each series in time order), with what each
 * recording rule in `records` would have recorded (an unknown one is an error: add its backfill below).
 */
function writeOpenMetrics(file, { fleet }, now, records) {
  const fd = openSync(file, 'w');
  let buf = [];
  let size = 0;
  let samples = 0;
  const flush = () => {
    writeSync(fd, buf.join(''));
    buf = [];
    size = 0;
  };
  const out = (s) => {
    buf.push(s);
    size += s.length;
    if (size > 1 << 20) flush();
  };
  const lbl = (o) =>
    `{${Object.entries(o)
      .map(([k, v]) => `${k}="${v}"`)
      .join(',')}}`;
  let seriesCount = 0;
  const L = (o) =>
    Object.entries(o)
      .map(([k, v]) => `${k}="${v}"`)
      .join(',');
  /**
   * A family: `each(host, step)` gives [labels, value] pairs, labels as the text after the host's
   * job and instance labels ('' for none). Each series is written in time order.
   */
  const family = (name, type, each) => {
    out(`# TYPE ${name.replace(/_total$/, '')} ${type}\n`);
    for (const host of fleet) {
      const prefix = `${name}{job="${JOB}",instance="${host.instance}"`;
      const per = new Map();
      for (const s of host.st) {
        if (!s.up && name !== 'up') continue;
        for (const [labels, v] of each(host, s)) {
          let arr = per.get(labels);
          if (!arr) per.set(labels, (arr = []));
          arr.push(`${v} ${s.t}\n`);
        }
      }
      for (const [labels, arr] of per) {
        seriesCount++;
        const key = `${prefix}${labels ? `,${labels}` : ''}} `;
        for (const x of arr) out(key + x);
        samples += arr.length;
      }
    }
  };
  const one = (v) => (v === undefined ? [] : [['', v]]);
  const collectors = ['kernel', 'livepatch', 'taint', 'packages', 'klp', 'lifecycle'];
  // Deterministic per host and time, so that the recorded aggregations below match the raw series.
  const wobble = (h, s, n) => ((h.h * 7919 + Math.floor(s.t / 60)) % n) / n;
  const scrapeSeconds = (h, s) => +(0.004 + wobble(h, s, 97) * 0.01).toFixed(4);
  const collectorSeconds = (h, s, c) => (c === 'packages' ? +h.pkgSeconds.toFixed(4) : c === 'klp' ? 0.08 : +(0.0005 + wobble(h, s, 89) * 0.002).toFixed(6));
  const patchName = (s) => `livepatch_${s.active}_${s.k.revision.split('.')[0]}_13_${s.active + 2}_1`;

  family('up', 'gauge', (h, s) => one(s.up ? 1 : 0));
  family('scrape_duration_seconds', 'gauge', (h, s) => one(scrapeSeconds(h, s)));
  family('klp_exporter_build_info', 'gauge', (h) => [[L({ version: h.exporterVersion, revision: h.exporterVersion === '0.1.0' ? '03eed40' : '9ddb596', nodejs_version: 'v20.19.5' }), 1]]);
  family('klp_kernel_info', 'gauge', (h, s) => [[h.unsupported ? s.k.infoAzure : s.k.info, 1]]);
  family('klp_os_info', 'gauge', (h, s) => [[s.k.osInfo, 1]]);
  family('klp_scrape_collector_success', 'gauge', (h) => collectors.map((c) => [L({ collector: c }), c === h.failing ? 0 : 1]));
  family('klp_scrape_collector_duration_seconds', 'gauge', (h, s) => collectors.map((c) => [L({ collector: c }), collectorSeconds(h, s, c)]));
  family('klp_scrape_collector_last_success_timestamp_seconds', 'gauge', (h, s) => ['packages', 'klp', 'lifecycle'].filter((c) => c !== h.failing).map((c) => [L({ collector: c }), Math.floor(s.t / 3600) * 3600]));
  family('klp_kernel_tainted', 'gauge', (h, s) => one(s.active > 0 ? 32768 : 0));
  family('klp_kernel_tainted_livepatch', 'gauge', (h, s) => one(s.active > 0 ? 1 : 0));
  family('klp_livepatch_supported', 'gauge', (h) => one(h.failing === 'livepatch' ? undefined : h.unsupported ? 0 : 1));
  family('klp_livepatch_state', 'gauge', (h, s) => (s.state === undefined ? [] : ['patched', 'transition', 'unpatched', 'unsupported'].map((x) => [L({ state: x }), x === s.state ? 1 : 0])));
  family('klp_patch_enabled', 'gauge', (h, s) => (s.active > 0 ? [[L({ patch: patchName(s) }), 1]] : []));
  family('klp_patch_transition', 'gauge', (h, s) => (s.active > 0 ? [[L({ patch: patchName(s) }), s.state === 'transition' ? 1 : 0]] : []));
  family('klp_patch_info', 'gauge', (h, s) =>
    s.active > 0
      ? [
          [
            L({
              patch: patchName(s),
              package: `kernel-livepatch-${s.k.release.replace(/[.-]/g, '_').replace(/_default$/, '-default')}`,
              version: String(s.active),
              release: `${s.k.revision.split('.')[0]}.13.${s.active + 2}.1`,
            }),
            1,
          ],
        ]
      : [],
  );
  family('klp_patch_active_version', 'gauge', (h, s) => one(s.active));
  family('klp_packages_installed', 'gauge', (h, s) => one(s.installed === undefined ? 0 : s.installed > 0 ? 2 : 0));
  family('klp_patch_installed_version', 'gauge', (h, s) => one(s.installed));
  family('klp_kernel_newer_installed', 'gauge', (h) => one(h.unsupported ? undefined : h.newer ? 1 : 0));
  family('klp_patch_cves', 'gauge', (h, s) => one(s.active === undefined ? undefined : s.active * 3 + (h.h % 3)));
  family('klp_patch_bugs', 'gauge', (h, s) => one(s.active === undefined ? undefined : s.active * 2));
  const expiry = (s) => now + s.k.expiryDays * DAY;
  family('klp_patch_expiry_timestamp_seconds', 'gauge', (h, s) => one(h.unsupported || h.failing === 'lifecycle' ? undefined : expiry(s)));
  family('klp_patch_days_until_expiry', 'gauge', (h, s) => one(h.unsupported || h.failing === 'lifecycle' ? undefined : +((expiry(s) - s.t) / DAY).toFixed(6)));
  family('process_cpu_seconds_total', 'counter', (h, s) => one(+((s.t - h.st[0].t) * 0.0004 + (h.h % 7)).toFixed(2)));
  family('process_resident_memory_bytes', 'gauge', (h) => one(Math.round(h.rss)));
  // What the recording rules of alerts/klp.rules.yml record (backfilled with the raw series, so that
  // the dashboards and alerts that read them have data; fleetBench checks them against the rules).
  const agg = (name, keyOf) => {
    out(`# TYPE ${name} gauge\n`);
    const per = new Map();
    const steps = fleet[0].st.length;
    for (let i = 0; i < steps; i++) {
      const cur = new Map();
      for (const h of fleet) {
        const s = h.st[i];
        if (!s.up) continue;
        for (const [k, v, how] of keyOf(s, h)) cur.set(k, how === 'max' ? Math.max(cur.get(k) ?? -Infinity, v) : (cur.get(k) ?? 0) + v);
      }
      for (const [k, v] of cur) {
        let arr = per.get(k);
        if (!arr) per.set(k, (arr = []));
        arr.push(`${v} ${fleet[0].st[i].t}`);
      }
    }
    for (const [k, arr] of per) {
      seriesCount++;
      for (const x of arr) {
        out(`${name}${k} ${x}\n`);
        samples++;
      }
    }
  };
  const backfill = {
    // The rule keeps the left side of `>`: the installed version, where it is ahead of an active patch.
    'instance:klp_patch_installed_version:not_applied': () =>
      family('instance:klp_patch_installed_version:not_applied', 'gauge', (h, s) => one(s.installed !== undefined && s.active > 0 && s.installed > s.active ? s.installed : undefined)),
    'instance:klp_livepatch_state:unknown': () => family('instance:klp_livepatch_state:unknown', 'gauge', (h, s) => one(s.state === undefined ? 1 : undefined)),
    'instance:klp_patch_active_version:kernel': () => family('instance:klp_patch_active_version:kernel', 'gauge', (h, s) => (s.active === undefined ? [] : [[s.k.releaseRevision, s.active]])),
    'revision:klp_patch_active_version:max': () => agg('revision:klp_patch_active_version:max', (s) => (s.active === undefined ? [] : [[lbl({ job: JOB, revision: s.k.revision }), s.active, 'max']])),
    'revision_active_version:klp_hosts:count': () =>
      agg('revision_active_version:klp_hosts:count', (s) => (s.active === undefined ? [] : [[lbl({ job: JOB, revision: s.k.revision, active_version: String(s.active) }), 1, 'sum']])),
    'state:klp_livepatch_state:sum': () =>
      agg('state:klp_livepatch_state:sum', (s) => ['patched', 'transition', 'unpatched', 'unsupported', 'unknown'].map((x) => [lbl({ job: JOB, state: x }), x === (s.state ?? 'unknown') ? 1 : 0, 'sum'])),
    'collector:klp_scrape_collector_failing:count': () => agg('collector:klp_scrape_collector_failing:count', (s, h) => collectors.map((c) => [lbl({ job: JOB, collector: c }), c === h.failing ? 1 : 0, 'sum'])),
    'collector:klp_scrape_collector_duration_seconds:max': () =>
      agg('collector:klp_scrape_collector_duration_seconds:max', (s, h) => collectors.map((c) => [lbl({ job: JOB, collector: c }), collectorSeconds(h, s, c), 'max'])),
    'job:scrape_duration_seconds:max': () => agg('job:scrape_duration_seconds:max', (s, h) => [[lbl({ job: JOB }), scrapeSeconds(h, s), 'max']]),
  };
  const missing = records.filter((r) => !backfill[r]);
  if (missing.length) throw new Error(`bench/fleet.mjs cannot backfill the recording rule(s) ${missing.join(', ')}: add them to \`backfill\` in writeOpenMetrics`);
  for (const r of records) backfill[r]();
  out('# EOF\n');
  flush();
  closeSync(fd);
  return { samples, series: seriesCount };
}

// ---- queries -------------------------------------------------------------------------------------

/** Every dashboard query and rule expression of the repository (or a representative fallback set). */
function loadQueries(hostInstance, intervalS, srcDir) {
  const dashDir = path.join(srcDir, 'dashboards');
  const alertDir = path.join(srcDir, 'alerts');
  const queries = [];
  const rateInterval = `${Math.max(RANGE_STEP_S + intervalS, 4 * intervalS)}s`;
  // Grafana dashboards only (dashboards/ may hold other JSON, e.g. a tsconfig.json).
  const dashboards = (
    existsSync(dashDir)
      ? readdirSync(dashDir)
          .filter((f) => f.endsWith('.json'))
          .sort()
      : []
  ).filter((f) => {
    try {
      return Array.isArray(JSON.parse(readFileSync(path.join(dashDir, f), 'utf8')).panels);
    } catch {
      return false;
    }
  });
  for (const f of dashboards) {
    const d = JSON.parse(readFileSync(path.join(dashDir, f), 'utf8'));
    const isHost = (d.templating?.list ?? []).some((v) => v.name === 'instance' && !v.includeAll);
    const vars = { job: JOB, instance: isHost || /host/i.test(f) ? hostInstance.replaceAll('.', '\\\\.') : '.*', __rate_interval: rateInterval, __interval: `${RANGE_STEP_S}s`, __range: '7d' };
    const walk = (panels) => {
      for (const p of panels ?? []) {
        walk(p.panels);
        for (const t of p.targets ?? []) {
          if (!t.expr) continue;
          const expr = t.expr.replace(/\$\{?(\w+)\}?/g, (m, v) => vars[v] ?? m);
          queries.push({ source: `${f}: ${p.title}`, origin: 'dashboard', panel: p.title, expr, kind: t.instant && !t.range ? 'instant' : 'range' });
        }
      }
    };
    walk(d.panels);
  }
  const ruleFiles = existsSync(alertDir)
    ? readdirSync(alertDir)
        .filter((f) => /\.ya?ml$/.test(f) && !/alertmanager/.test(f))
        .sort()
    : [];
  const records = [];
  for (const f of ruleFiles) {
    const doc = YAML.parse(readFileSync(path.join(alertDir, f), 'utf8'));
    for (const g of doc?.groups ?? []) {
      for (const r of g.rules ?? []) {
        queries.push({ source: `${f}: ${r.record ?? r.alert}${r.labels?.severity ? ` (${r.labels.severity})` : ''}`, origin: 'rule', expr: r.expr, kind: 'rule' });
        if (r.record) records.push({ record: r.record, expr: r.expr });
      }
    }
  }
  if (queries.length === 0) {
    const fallback = FALLBACK_QUERIES.map((q) => ({ ...q, origin: q.kind === 'rule' ? 'rule' : 'dashboard', expr: q.expr.replaceAll('$instance', hostInstance.replaceAll('.', '\\\\.')) }));
    return { fromRepo: false, queries: fallback, records: [] };
  }
  return { fromRepo: true, dashboards, ruleFiles, queries, records };
}

/** Per query; a query that takes longer fails with a timeout (keeps the run bounded). */
const QUERY_TIMEOUT = '10s';

async function timeQuery(base, params) {
  const url = `${base}?${new URLSearchParams({ ...params, timeout: QUERY_TIMEOUT })}`;
  const t0 = performance.now();
  const res = await fetch(url);
  const body = await res.json();
  const ms = performance.now() - t0;
  if (body.status !== 'success') return { ms, error: body.error ?? `HTTP ${res.status}` };
  const r = body.data.result;
  return { ms, series: Array.isArray(r) ? r.length : 1, points: Array.isArray(r) ? r.reduce((a, s) => a + (s.values?.length ?? 1), 0) : 1, first: Array.isArray(r) ? r[0]?.value?.[1] : undefined };
}

// ---- the benchmark ---------------------------------------------------------------------------------

export async function fleetBench({ tmp, hosts, days, intervalMin, log, target }) {
  log(`bench: 5. fleet scale: ${hosts} hosts × ${days} days, one sample every ${intervalMin} min`);
  const interval = intervalMin * 60;
  // Timestamps inside one 486h-aligned block window in the past, so promtool reads the file once.
  const block = BLOCK_HOURS * 3600;
  const nowS = Math.floor(Date.now() / 1000);
  let w = Math.floor(nowS / block) * block;
  if (w + days * DAY + 3600 > nowS) w -= block;
  const steps = Math.floor((days * DAY) / interval) + 1;
  const t0 = w + 60;
  const tEnd = t0 + (steps - 1) * interval;

  const g0 = performance.now();
  const sim = simulate({ hosts, steps, t0, interval });
  // The dashboards and rules to time; the fleet gets what their recording rules would have recorded.
  const host = sim.fleet[7].instance;
  const src = await querySource(tmp);
  const q = { ...loadQueries(host, interval, src.dir), origin: src.origin };
  const omFile = path.join(tmp, 'fleet.om');
  const written = writeOpenMetrics(
    omFile,
    sim,
    tEnd,
    q.records.map((r) => r.record),
  );
  const omBytes = (await fs.stat(omFile)).size;
  const genS = (performance.now() - g0) / 1000;
  log(`  generated ${written.samples} samples of ${written.series} series (${(omBytes / 2 ** 30).toFixed(2)} GiB) in ${fmt(genS, 1)} s`);

  const dataDir = path.join(tmp, 'tsdb');
  const p0 = performance.now();
  const promtoolArgs = ['tsdb', 'create-blocks-from', 'openmetrics', '--quiet', `--max-block-duration=${BLOCK_HOURS}h`, omFile, dataDir];
  await new Promise((resolve, reject) =>
    execFile('promtool', promtoolArgs, { maxBuffer: 1 << 24 }, (err, stdout, stderr) => (err ? reject(new Error(`promtool ${promtoolArgs.join(' ')}: ${stderr || err.message}`)) : resolve())),
  );
  const backfillS = (performance.now() - p0) / 1000;
  await fs.rm(omFile);
  const du = await dirSize(dataDir);
  log(`  promtool backfill ${fmt(backfillS, 1)} s, TSDB ${(du / 2 ** 20).toFixed(0)} MiB`);

  const port = await freePort();
  const cfg = path.join(tmp, 'prometheus.yml');
  await fs.writeFile(cfg, 'global:\n  evaluation_interval: 1m\n');
  // One second less than the sample interval: every evaluation step (aligned to the samples) sees the
  // latest sample of a series, and a series that ended (a reboot into another kernel changes
  // klp_kernel_info's labels) is gone by the next sample, as staleness markers would make it.
  const lookback = `${interval - 1}s`;
  const promArgs = [`--config.file=${cfg}`, `--storage.tsdb.path=${dataDir}`, '--storage.tsdb.retention.time=36500d', `--web.listen-address=${LOOPBACK}:${port}`, `--query.lookback-delta=${lookback}`, '--log.level=warn'];
  const prom = start('prometheus', promArgs, { name: 'prometheus' });
  const api = `http://${LOOPBACK}:${port}`;
  try {
    await waitHttp(`${api}/-/ready`, prom, 120_000);
    // Sanity: the data is there.
    const check = await timeQuery(`${api}/api/v1/query`, { query: `count(klp_kernel_info{job="${JOB}"})`, time: String(tEnd) });
    const rangeParams = (expr) => ({ query: expr, start: String(tEnd - 7 * DAY), end: String(tEnd), step: String(RANGE_STEP_S) });
    const rows = [];
    for (const x of q.queries) {
      const kinds = x.kind === 'rule' ? ['instant', 'range'] : [x.kind === 'instant' ? 'instant' : 'range'];
      for (const kind of kinds) {
        const params = kind === 'instant' ? { query: x.expr, time: String(tEnd) } : rangeParams(x.expr);
        const ep = `${api}/api/v1/${kind === 'instant' ? 'query' : 'query_range'}`;
        const runs = [];
        for (let i = 0; i < 3; i++) {
          const r = await timeQuery(ep, params);
          runs.push(r);
          if (r.error || r.ms > 2000) break; // slow ones once: keeps the run bounded
        }
        const ms = median(runs.map((r) => r.ms));
        rows.push({ ...x, kind, ms, max: Math.max(...runs.map((r) => r.ms)), series: runs[0].series, points: runs[0].points, error: runs[0].error });
      }
    }
    const timeRange = async (expr) => {
      const runs = [];
      for (let i = 0; i < 3; i++) {
        const r = await timeQuery(`${api}/api/v1/query_range`, rangeParams(expr));
        runs.push(r);
        if (r.error || r.ms > 2000) break;
      }
      return { ms: median(runs.map((r) => r.ms)), series: runs[0].series, error: runs[0].error };
    };
    /** Instant result at the end of the data: labels (without __name__) → value. */
    const instant = async (expr) => {
      const res = await (await fetch(`${api}/api/v1/query?${new URLSearchParams({ query: expr, time: String(tEnd) })}`)).json();
      if (res.status !== 'success') return { error: res.error ?? 'query failed', series: new Map() };
      const key = (m) =>
        JSON.stringify(
          Object.entries(m)
            .filter(([k]) => k !== '__name__')
            .sort(),
        );
      return { series: new Map((res.data?.result ?? []).map((r) => [key(r.metric), Number(r.value[1])])) };
    };
    const close = (a, b) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
    // The fleet dashboard's time series panels: the shipped expressions (recorded series, timed in the
    // table above) against the raw expressions they replaced.
    const recorded = [];
    for (const x of REPLACED_RAW) {
      const shipped = rows.find((r) => r.origin === 'dashboard' && r.kind === 'range' && r.panel === x.panel);
      const rawTime = await timeRange(x.raw);
      let same;
      if (shipped) {
        const rawVals = [...(await instant(x.raw)).series.values()].sort((a, b) => a - b);
        const recVals = [...(await instant(shipped.expr)).series.values()].sort((a, b) => a - b);
        const nonzero = (vals) => (x.compare === 'equal-nonzero' ? vals.filter((v) => v !== 0) : vals);
        const [raw, rec] = [nonzero(rawVals), nonzero(recVals)];
        same = x.compare === 'max' ? rawVals.length > 0 && recVals.length === 1 && close(Math.max(...rawVals), recVals[0]) : raw.length === rec.length && raw.every((v, i) => close(v, rec[i]));
      }
      recorded.push({ ...x, rawTime, shipped, same });
    }
    // What each recording rule costs the rule engine per evaluation, and whether the backfilled
    // series say what the rule computes (at the end of the data).
    const ruleEval = [];
    for (const r of q.records) {
      const cost = await timeQuery(`${api}/api/v1/query`, { query: r.expr, time: String(tEnd) });
      const want = await instant(r.expr);
      const got = await instant(r.record);
      // Both empty counts (a small fleet may have no host in that case), and says so in the report.
      const matches = !want.error && !got.error && want.series.size === got.series.size && [...want.series].every(([k, v]) => got.series.has(k) && close(got.series.get(k), v));
      ruleEval.push({ ...r, ...cost, matches });
    }

    const stepWhat = `${days}-day range at the ${RANGE_STEP_S / 60}-minute step`;
    const groups = [
      { origin: 'dashboard', kind: 'instant', what: `each dashboard query < 1 s over ${hosts} hosts: instant (stat, bar gauge and table panels)` },
      { origin: 'dashboard', kind: 'range', what: `each dashboard query < 1 s over ${hosts} hosts: ${stepWhat} (time series panels)` },
      { origin: 'rule', kind: 'instant', what: `each rule expression < 1 s over ${hosts} hosts: instant (one rule evaluation)` },
      {
        origin: 'rule',
        kind: 'range',
        what: `each rule expression < 1 s over ${hosts} hosts: ${stepWhat}`,
        // Why this one cannot be met by recording rules (said only when it is not met).
        why: "a 7-day range of a rule expression evaluates every host's series at every step, which only graphing it in the Prometheus UI does; the rule engine evaluates it instantly (row above) and the dashboards read ALERTS and recorded series",
      },
    ];
    for (const g of groups) {
      const these = rows.filter((r) => r.origin === g.origin && r.kind === g.kind);
      if (these.length === 0) continue;
      const slow = these.filter((r) => r.error || r.ms >= 1000);
      const worst = these.reduce((a, b) => (b.error ? b : a.error ? a : b.ms > a.ms ? b : a), these[0]);
      const detail = `${these.length} queries; ${slow.length ? `${slow.length} at or over 1 s or failing; ` : ''}slowest ${worst.error ? `failed (${worst.error.slice(0, 60)})` : `${fmt(worst.ms, 0)} ms`}: ${worst.source}`;
      target(g.what, slow.length === 0, slow.length && g.why ? `${detail}. Not reachable with recording rules: ${g.why}` : detail);
      log(`  ${these.length} ${g.origin} ${g.kind} queries timed; ${slow.length} at or over 1 s or failing`);
    }
    const panelsOk = recorded.every((r) => r.shipped && !r.shipped.error && r.shipped.ms < 1000 && r.same);
    target(
      `fleet dashboard time series panels read recorded series: ${stepWhat} < 1 s, same values as the raw expression`,
      panelsOk,
      recorded
        .map(
          (r) =>
            `${r.panel} ${r.rawTime.error ? 'failed' : `${fmt(r.rawTime.ms, 0)} ms`} → ${!r.shipped ? 'panel not found' : r.shipped.error ? 'failed' : `${fmt(r.shipped.ms, 0)} ms`}${r.shipped && !r.same ? ' (values differ)' : ''}`,
        )
        .join('; '),
    );
    const mismatched = ruleEval.filter((r) => !r.matches);
    if (mismatched.length) log(`  backfilled series differ from their rule at the end: ${mismatched.map((r) => r.record).join(', ')}`);
    return { markdown: markdown({ hosts, days, intervalMin, lookback, written, omBytes, genS, backfillS, du, rows, q, check, host, promtoolArgs, promArgs, tEnd, recorded, ruleEval }), rows };
  } finally {
    await prom.stop();
  }
}

/**
 * Where the dashboards and rules come from: this checkout, or with BENCH_FLEET_QUERIES_REF a git
 * ref of this repository (e.g. a branch where they are being written), copied to the temp dir.
 */
async function querySource(tmp) {
  const ref = process.env.BENCH_FLEET_QUERIES_REF;
  if (!ref) return { dir: PROJECT, origin: 'this checkout' };
  const git = (...args) => new Promise((resolve, reject) => execFile('git', args, { cwd: PROJECT, maxBuffer: 1 << 26 }, (err, out) => (err ? reject(err) : resolve(out))));
  const commit = (await git('rev-parse', '--short', `${ref}^{commit}`)).trim();
  const dir = path.join(tmp, 'queries');
  const files = (await git('ls-tree', '-r', '--name-only', commit, '--', 'dashboards', 'alerts')).split('\n').filter((f) => /^(dashboards\/[^/]+\.json|alerts\/[^/]+\.ya?ml)$/.test(f));
  for (const f of files) {
    await fs.mkdir(path.join(dir, path.dirname(f)), { recursive: true });
    await fs.writeFile(path.join(dir, f), await git('show', `${commit}:${f}`));
  }
  return { dir, origin: `git ref \`${ref}\` (commit ${commit})` };
}

async function dirSize(dir) {
  let total = 0;
  for (const e of await fs.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    total += e.isDirectory() ? await dirSize(p) : (await fs.stat(p)).size;
  }
  return total;
}

function markdown(x) {
  const L = [];
  const p = (s = '') => L.push(s);
  p('## 5. Fleet scale');
  p();
  p(`A synthetic fleet of ${x.hosts} hosts × ${x.days} days (bench/fleet.mjs, deterministic): 8 kernel revisions (SLES 15 SP5/SP6), about 4% of hosts`);
  p('unpatched, 2% unsupported (azure flavor), a new live patch rolled out on day 3 over two days (10% of hosts one version behind, 8% install it');
  p('but apply it hours later, 2% not in the week, 0.2% stuck in transition), 12% reboot into the newest kernel during the week (new');
  p('`klp_kernel_info`/`klp_patch_info` series), 8% with a newer kernel installed, 0.5% with a failing collector (a quarter of them livepatch: no live patch state, counted as unknown), 0.3% down for 6 hours,');
  p('expiries from 3 days ago to 390 days ahead. Every exporter family the dashboards and rules read is generated, plus `up`,');
  p('`scrape_duration_seconds`, `process_*` and what every recording rule of the rules file would have recorded (backfilled, so that the');
  p('dashboards and alerts that read recorded series have 7 days of data; checked against the rules below).');
  p();
  p(`| | |`);
  p(`|---|---|`);
  p(`| samples / series | ${x.written.samples} / ${x.written.series} (${fmt(x.written.series / x.hosts, 1)} series per host) |`);
  p(`| OpenMetrics file | ${(x.omBytes / 2 ** 30).toFixed(2)} GiB, generated in ${fmt(x.genS, 1)} s |`);
  p(`| promtool backfill | ${fmt(x.backfillS, 1)} s → TSDB ${(x.du / 2 ** 20).toFixed(0)} MiB |`);
  p(`| sanity: \`count(klp_kernel_info)\` at the end | ${x.check.first ?? x.check.error ?? '?'} (hosts that are up and report a kernel) |`);
  p();
  p(`**Sample interval.** To keep generation and backfill within a few minutes on 2 cores, each series has one sample every ${x.intervalMin} minutes`);
  p(`(a real deployment scrapes every 15 to 60 s), and Prometheus runs with \`--query.lookback-delta=${x.lookback}\` (the interval minus 1 s) so that`);
  p('every evaluation step still finds exactly one sample per series, as it would with real data and staleness markers. Series counts, label cardinality and the work per evaluation');
  p('step match a real fleet; what this under-represents is decoding the denser chunks of real data over 7 days (about');
  p(`${Math.round((x.intervalMin * 60) / 60)}× more samples per series at a 60 s scrape interval). \`BENCH_FLEET_INTERVAL_MIN\` lowers the interval for a closer run.`);
  p();
  p('Commands (DIR: a temp dir):');
  p();
  p('```');
  p(
    `promtool ${x.promtoolArgs
      .join(' ')
      .replace(/\S*fleet\.om/, 'DIR/fleet.om')
      .replace(/\S*tsdb$/, 'DIR/tsdb')}`,
  );
  p(
    `prometheus ${x.promArgs
      .join(' ')
      .replace(/--config\.file=\S+/, '--config.file=DIR/prometheus.yml')
      .replace(/--storage\.tsdb\.path=\S+/, '--storage.tsdb.path=DIR/tsdb')
      .replace(/127\.0\.0\.1:\d+/, '127.0.0.1:PORT')}`,
  );
  p('```');
  p();
  if (x.q.fromRepo) {
    p(`Queries: every target of ${x.q.dashboards.map((d) => `\`dashboards/${d}\``).join(', ')} and every rule of ${x.q.ruleFiles.map((f) => `\`alerts/${f}\``).join(', ')}, from ${x.q.origin}.`);
  } else {
    p('**The repository has no dashboards/ or alerts/ yet**: these are the representative fleet queries of bench/fleet-queries.mjs.');
  }
  p(`Template variables: \`$job\` = \`${JOB}\`; \`$instance\` = \`.*\` (All) on the fleet dashboard and one host (\`${x.host}\`) on the host dashboard;`);
  p(`\`$__rate_interval\` = max(step + sample interval, 4 × sample interval). Instant queries at the end of the data; range queries over the`);
  p(`7 days before it at a ${RANGE_STEP_S / 60}-minute step (what Grafana picks for 7 days on a ~1000 px panel). Rule expressions both ways.`);
  p(`Each query runs 3 times (once when the first run takes over 2 s); the median is reported (and the maximum). Queries time out after ${QUERY_TIMEOUT}`);
  p("(Prometheus's `timeout` parameter); Prometheus's default `--query.max-samples` (50 million) applies.");
  p();
  p('| source | kind | median ms | max ms | series | points | expression |');
  p('|---|---|---|---|---|---|---|');
  for (const r of x.rows) {
    const ms = r.error ? `error: ${r.error}` : r.ms >= 1000 ? `**${fmt(r.ms, 0)}**` : fmt(r.ms, 1);
    p(`| ${r.source.replaceAll('|', '\\|')} | ${r.kind} | ${ms} | ${fmt(r.max, 1)} | ${r.series ?? ''} | ${r.points ?? ''} | \`${r.expr.replace(/\s+/g, ' ').replaceAll('|', '\\|')}\` |`);
  }
  p();
  p("### The fleet dashboard's time series panels on recorded series");
  p();
  p("A 7-day range of an aggregation over every host evaluates every series at every step. The fleet dashboard's time series");
  p('panels therefore read series recorded by the recording rules of alerts/klp.rules.yml (a handful of series, one per job and');
  p('state or collector): the dashboard uses the recorded expressions, timed in the table above with every other dashboard query.');
  p("Here each panel's shipped expression is compared with the expression over the raw series it replaced ($instance = All). The");
  p('recorded series are fleet-wide, so these panels ignore the Instance filter (their descriptions say so); a per-host view over');
  p('7 days is the host dashboard\'s, and "Slowest scrapes" (an instant `topk`) shows which hosts scrape slowly.');
  p();
  p('| panel | raw expression it replaced | 7-day range ms | series | shipped expression (recorded series) | 7-day range ms | series | same values at the end |');
  p('|---|---|---|---|---|---|---|---|');
  const esc = (e) => `\`${e.replace(/\s+/g, ' ').replaceAll('|', '\\|')}\``;
  for (const r of x.recorded) {
    const raw = r.rawTime.error ? `failed after ${fmt(r.rawTime.ms, 0)} ms: ${r.rawTime.error}` : fmt(r.rawTime.ms, 0);
    const sh = r.shipped;
    const shipped = !sh ? 'panel not found in the dashboard | | |' : `${esc(sh.expr)} | ${sh.error ? `error: ${sh.error}` : fmt(sh.ms, 1)} | ${sh.series ?? ''} |`;
    const note = { 'equal-nonzero': ' (zeros aside: the recorded series also has 0 for states and collectors nobody is in)', max: ' (the recorded value is the largest raw value)' }[r.compare] ?? '';
    const same = !sh ? '' : r.same ? `yes${note}` : '**no**';
    p(`| ${r.panel} | ${esc(r.raw)} | ${raw} | ${r.rawTime.series ?? ''} | ${shipped} ${same} |`);
  }
  p();
  p('What each recording rule costs the rule engine per evaluation (instant query of its expression at the end of the data), and');
  p('whether the backfilled series equal what the rule computes there:');
  p();
  p('| rule | ms | series | backfill = rule |');
  p('|---|---|---|---|');
  for (const r of x.ruleEval) p(`| \`${r.record}\` | ${r.error ? `error: ${r.error}` : fmt(r.ms, 1)} | ${r.series ?? ''} | ${r.matches ? (r.series ? 'yes' : 'yes (no series at the end)') : '**no**'} |`);
  p();
  return L;
}

export { sleep };
