// Textfile mode end to end: klp_exporter writes klp.prom (`--textfile.output`) into the textfile directories of
// two real node_exporters; a real Prometheus scrapes them as job "node" with the rules printed by
// `klp_exporter rules --textfile` (the shipped rules rewritten for node_exporter's job, `for:` cut to 3 s as in
// test/integration). The expired fixture host's KlpLivePatchExpired fires through node_exporter's job, and the
// host whose klp.prom was last written two hours ago (three timer periods are 15 minutes) fires KlpTextfileStale.

import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { dashboardExprs, loadDashboard, requireBinary, substituteGrafanaVars } from '../alerts/promql.js';
import { MAIN } from '../helpers/exporter-process.js';
import { loadScenario, PROJECT, scenarioArgs } from '../helpers/fixture-host.js';
import { promtoolPath } from '../helpers/promtool.js';
import { freePort, sleep } from '../operations/process.js';

const RUNBOOK = 'https://runbooks.example.com/klp';
// not-applied and unknown: so that every recording rule has series to record (an update not applied, a state unknown).
const HOSTS: { instance: string; scenario: string; ageSeconds: number; args?: string[] }[] = [
  { instance: 'expired', scenario: 'sles15sp6-expired', ageSeconds: 0 },
  { instance: 'stale', scenario: 'sles15sp6-patched', ageSeconds: 7200 },
  { instance: 'not-applied', scenario: 'sles15sp6-update-not-applied', ageSeconds: 0 },
  { instance: 'unknown', scenario: 'sles15sp6-patched', ageSeconds: 0, args: [`--path.sysfs=${join(loadScenario('sles15sp6-patched').root, 'etc')}`] },
];
const EXPECTED = ['expired KlpLivePatchExpired critical', 'not-applied KlpLivePatchUpdateNotApplied warning', 'stale KlpTextfileStale warning', 'unknown KlpCollectorFailing warning'];

interface Alert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: string;
}

const children: ChildProcess[] = [];
let tmp = '';
let promUrl = '';
let promLog = '';
let rulesText = '';

function start(bin: string, args: string[]): ChildProcess {
  const c = spawn(bin, args, { cwd: tmp, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  c.stdout!.on('data', (d: Buffer) => (promLog += d.toString()));
  c.stderr!.on('data', (d: Buffer) => (promLog += d.toString()));
  children.push(c);
  return c;
}

async function api<T>(path: string): Promise<T> {
  const res = await fetch(`${promUrl}${path}`, { signal: AbortSignal.timeout(5000) });
  return ((await res.json()) as { data: T }).data;
}

beforeAll(async () => {
  const prometheusBin = requireBinary('prometheus', 'prometheus');
  const nodeExporterBin = requireBinary('prometheus-node-exporter', 'prometheus-node-exporter');
  tmp = mkdtempSync(join(tmpdir(), 'klp-textfile-prom-'));

  const targets = [];
  for (const h of HOSTS) {
    const dir = join(tmp, h.instance);
    mkdirSync(dir);
    const file = join(dir, 'klp.prom');
    const w = spawnSync(process.execPath, [MAIN, ...scenarioArgs(loadScenario(h.scenario), h.args), `--textfile.output=${file}`], { encoding: 'utf8', timeout: 30_000 });
    if (w.status !== 0) throw new Error(`textfile run failed: ${w.stderr}`);
    if (h.ageSeconds > 0) {
      const then = new Date(Date.now() - h.ageSeconds * 1000);
      utimesSync(file, then, then);
    }
    const port = await freePort();
    start(nodeExporterBin, ['--collector.disable-defaults', '--collector.textfile', `--collector.textfile.directory=${dir}`, `--web.listen-address=127.0.0.1:${port}`]);
    targets.push({ targets: [`127.0.0.1:${port}`], labels: { instance: h.instance } });
  }

  const rules = spawnSync(process.execPath, [MAIN, 'rules', '--textfile', `--runbook-url=${RUNBOOK}`], { encoding: 'utf8', timeout: 30_000 });
  if (rules.status !== 0) throw new Error(`klp_exporter rules failed: ${rules.stderr}`);
  rulesText = rules.stdout;
  writeFileSync(join(tmp, 'klp.rules.yml'), rulesText.replace(/^(\s+for: )\S+$/gm, '$13s'));
  writeFileSync(
    join(tmp, 'prometheus.yml'),
    stringify({
      global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
      rule_files: ['klp.rules.yml'],
      scrape_configs: [{ job_name: 'node', static_configs: targets }],
    }),
  );
  const port = await freePort();
  promUrl = `http://127.0.0.1:${port}`;
  start(prometheusBin, [`--config.file=${join(tmp, 'prometheus.yml')}`, `--storage.tsdb.path=${join(tmp, 'data')}`, `--web.listen-address=127.0.0.1:${port}`]);
}, 60_000);

afterAll(async () => {
  await Promise.all(
    children.map(async (c) => {
      if (c.exitCode !== null || c.pid === undefined) return;
      const exited = new Promise((r) => c.once('exit', r));
      process.kill(-c.pid, 'SIGTERM');
      const timer = setTimeout(() => c.pid !== undefined && process.kill(-c.pid, 'SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }),
  );
  if (tmp) rmSync(tmp, { recursive: true, force: true });
}, 20_000);

describe('textfile mode on a real Prometheus scraping node_exporter', () => {
  test('the textfile rules pass promtool and drop the rules about a klp scrape target', () => {
    const check = spawnSync(promtoolPath(), ['check', 'rules', join(tmp, 'klp.rules.yml')], { encoding: 'utf8' });
    expect([check.status, check.stderr]).toEqual([0, '']);
    expect(rulesText).not.toMatch(/\bup\{|scrape_duration_seconds\{|job="klp"/);
    expect(rulesText).toContain('klp_patch_days_until_expiry{job="node"}');
  });

  test("KlpLivePatchExpired fires through node_exporter's job, KlpTextfileStale for the old file, nothing else", async () => {
    const deadline = Date.now() + 60_000;
    let firing: string[] = [];
    let alerts: Alert[] = [];
    while (Date.now() < deadline) {
      for (const c of children) if (c.exitCode !== null) throw new Error(`a process exited with ${c.exitCode}:\n${promLog}`);
      try {
        alerts = (await api<{ alerts: Alert[] }>('/api/v1/alerts')).alerts.filter((a) => a.state === 'firing');
        firing = alerts.map((a) => `${a.labels.instance} ${a.labels.alertname} ${a.labels.severity}`).sort();
        if (JSON.stringify(firing) === JSON.stringify(EXPECTED)) break;
      } catch {
        // Prometheus not up yet
      }
      await sleep(500);
    }
    expect(firing).toEqual(EXPECTED);
    for (const a of alerts) {
      expect(a.labels.job).toBe('node');
      expect(a.annotations.runbook_url).toBe(`${RUNBOOK}#${a.labels.alertname!.toLowerCase()}`);
      expect(a.annotations.description).toContain(a.labels.instance);
      expect(a.annotations.description).not.toMatch(/<no value>|error/i);
    }
    const stale = alerts.find((a) => a.labels.alertname === 'KlpTextfileStale')!;
    expect(stale.labels.file).toMatch(/(^|\/)klp\.prom$/);
    expect(stale.annotations.description).toMatch(/last written 2h/);
  }, 70_000);

  test('every recording rule yields series of job "node"; every dashboard expression is accepted with job "node"', async () => {
    const query = async (q: string) =>
      (await (await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(q)}`)).json()) as { status: string; error?: string; data?: { result: { metric: Record<string, string> }[] } };
    const problems: string[] = [];
    const records = [...rulesText.matchAll(/^\s+- record: (\S+)$/gm)].map((m) => m[1]!);
    expect(records.length).toBeGreaterThan(3);
    for (const r of records) {
      const res = await query(r);
      if (!res.data?.result.length || res.data.result.some((x) => x.metric.job !== 'node')) problems.push(`record ${r}: ${JSON.stringify(res.data?.result ?? res.error)}`);
    }
    for (const file of ['klp-fleet.json', 'klp-host.json']) {
      for (const { where, expr } of dashboardExprs(loadDashboard(join(PROJECT, 'dashboards', file)))) {
        const res = await query(substituteGrafanaVars(expr, { job: 'node', instance: '.*' }));
        if (res.status !== 'success') problems.push(`${where}: ${res.error}`);
      }
    }
    expect(problems).toEqual([]);
  }, 60_000);
});
