// The alert rules and dashboards against a real Prometheus: a small fleet of exporter processes on fixture
// hosts (loopback ports, frozen clocks chosen so that alerts fire), Prometheus scraping them every second with
// alerts/klp.rules.yml loaded, then every dashboard and rule expression evaluated through the HTTP API and
// the firing alerts compared per instance with what the fixtures call for.

import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { config } from '../../dashboards/config.js';
import { type ExporterProcess, startProcess } from '../helpers/exporter-process.js';
import { loadScenario, scenarioArgs } from '../helpers/fixture-host.js';
import { dashboardExprs, loadDashboard, loadRules, requireBinary, substituteGrafanaVars } from '../alerts/promql.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const JOB = /^job="([^"]+)"$/.exec(config.jobSelector)?.[1] ?? 'klp';

/** One host of the test fleet. `now` overrides the scenario's frozen clock; `alerts` are the ones that must fire. */
interface Host {
  instance: string;
  scenario?: string;
  now?: string;
  /** Extra exporter flags. */
  args?: string[];
  alerts: string[];
}

// Live patch 3 of kernel 150600.23.25 expires 2025-10-17 (lifecycle data of sles15sp6-patched).
// Every host on revision 150600.23.25 with version 3 is behind `latest` (version 4): KlpLivePatchVersionDrift.
const DRIFT = 'KlpLivePatchVersionDrift warning';
const FLEET: Host[] = [
  { instance: 'latest', scenario: 'sles15sp6-two-patches-after-update', alerts: [] },
  { instance: 'patched', scenario: 'sles15sp6-patched', alerts: [DRIFT] },
  { instance: 'expiring-warning', scenario: 'sles15sp6-patched', now: '2025-09-27T00:00:00Z', alerts: ['KlpLivePatchExpiringSoon warning', DRIFT] },
  { instance: 'expiring-critical', scenario: 'sles15sp6-patched', now: '2025-10-14T00:00:00Z', alerts: ['KlpLivePatchExpiringSoon critical', DRIFT] },
  { instance: 'expired', scenario: 'sles15sp6-expired', alerts: ['KlpLivePatchExpired critical', DRIFT] },
  {
    instance: 'transition',
    scenario: 'sles15sp6-transition',
    alerts: ['KlpLivePatchTransitionStuck warning', 'KlpLivePatchUpdateNotApplied warning', DRIFT],
  },
  { instance: 'update-not-applied', scenario: 'sles15sp6-update-not-applied', alerts: ['KlpLivePatchUpdateNotApplied warning', DRIFT] },
  // klp names the upgraded package (4) for the loaded module of patch 3: still patch 3, still not applied.
  { instance: 'klp-names-upgraded-package', scenario: 'sles15sp6-klp-names-upgraded-package', alerts: ['KlpLivePatchUpdateNotApplied warning', DRIFT] },
  { instance: 'reboot-pending', scenario: 'sles15sp6-newer-kernel-installed', alerts: ['KlpNewerKernelNotBooted info', DRIFT] },
  // Alone on kernel revision 150600.23.38 with its initial patch: nothing to report.
  { instance: 'initial-patch', scenario: 'sles15sp6-initial-patch', alerts: [] },
  // Never subscribed to live patching (unpatched, no live patch package): KlpKernelNotLivePatched must stay quiet.
  { instance: 'never-subscribed', scenario: 'sles15sp6-no-livepatch-installed', alerts: [] },
  // zypper prints "Now" only because an update is available: not expired (the build-time fallback answers).
  { instance: 'zypper-update-available', scenario: 'sles15sp6-zypper-update-available', alerts: [DRIFT] },
  // Its only live patch is disabled and support has ended: both alerts name no enabled live patch; not "update not applied".
  {
    instance: 'patch-disabled-expired',
    scenario: 'sles15sp6-patch-disabled-expired',
    alerts: ['KlpLivePatchExpired critical', 'KlpKernelNotLivePatched warning'],
  },
  // Up, but its livepatch collector fails (--path.sysfs a directory that is not sysfs): live patch state unknown.
  { instance: 'state-unknown', scenario: 'sles15sp6-patched', args: [`--path.sysfs=${join(loadScenario('sles15sp6-patched').root, 'etc')}`], alerts: ['KlpCollectorFailing warning collector=livepatch'] },
  { instance: 'zypp-locked', scenario: 'zypp-locked', alerts: ['KlpCollectorFailing warning collector=lifecycle', DRIFT] },
  // The repositories offer live patch 4 while 3 is installed; another host's Live Patching repository was not refreshed for 42 days.
  { instance: 'update-available', scenario: 'sles15sp6-repo-update-available', alerts: ['KlpLivePatchUpdateAvailable warning', DRIFT] },
  { instance: 'repo-stale', scenario: 'sles15sp6-repo-stale', alerts: ['KlpRepositoryMetadataStale warning', DRIFT] },
  // A target nothing listens on.
  { instance: 'down', alerts: ['KlpExporterDown warning'] },
];

/** A free loopback port (bound, then released). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface ApiResponse<T> {
  status: string;
  error?: string;
  data: T;
}

let promUrl = '';
async function api<T>(path: string): Promise<ApiResponse<T>> {
  const res = await fetch(`${promUrl}${path}`, { signal: AbortSignal.timeout(5000) });
  return (await res.json()) as ApiResponse<T>;
}

async function query(expr: string): Promise<ApiResponse<{ result: unknown[] }>> {
  return api(`/api/v1/query?query=${encodeURIComponent(expr)}`);
}

interface Alert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: string;
}

/** `instance alertname severity [collector=…]`, as in FLEET. */
function alertKey(a: Alert): string {
  const { instance = '', alertname, severity, collector } = a.labels;
  return [instance, alertname, severity, ...(collector ? [`collector=${collector}`] : [])].join(' ');
}

const expectedFiring = FLEET.flatMap((h) => h.alerts.map((a) => `${h.instance} ${a}`)).sort();

async function firingAlerts(): Promise<Alert[]> {
  const r = await api<{ alerts: Alert[] }>('/api/v1/alerts');
  return r.data.alerts.filter((a) => a.state === 'firing');
}

describe('alert rules and dashboards on a real Prometheus scraping klp_exporter processes', () => {
  const exporters: ExporterProcess[] = [];
  let prometheus: ChildProcess | undefined;
  let promLog = '';
  let tmp = '';

  beforeAll(async () => {
    const prometheusBin = requireBinary('prometheus', 'prometheus');
    tmp = mkdtempSync(join(tmpdir(), 'klp-prom-'));

    // Exporters, in parallel (each may take a while to start on a busy machine). Process metrics on, so that
    // the host dashboard's CPU and memory panels have data. allSettled: whatever started is stopped in afterAll.
    const started = await Promise.allSettled(
      FLEET.map(async (h) => {
        const port = await freePort();
        if (h.scenario) {
          const extra = ['--no-web.disable-exporter-metrics', ...(h.now ? ['--testing.now', h.now] : []), ...(h.args ?? [])];
          exporters.push(await startProcess(scenarioArgs(loadScenario(h.scenario), extra), port, 30_000));
        }
        return { targets: [`127.0.0.1:${port}`], labels: { instance: h.instance } };
      }),
    );
    const failed = started.filter((r) => r.status === 'rejected');
    if (failed.length > 0) throw new Error(`exporters failed to start: ${failed.map((r) => String(r.reason)).join('\n')}`);
    const targets = started.map((r) => (r as PromiseFulfilledResult<{ targets: string[]; labels: { instance: string } }>).value);

    // A test copy of the rules with every `for:` cut to 3 s, so that pending alerts fire within the test;
    // the expressions are the shipped ones.
    const rules = readFileSync(`${root}alerts/klp.rules.yml`, 'utf8').replace(/^(\s+for: )\S+$/gm, '$13s');
    expect(rules).toContain('for: 3s');
    writeFileSync(join(tmp, 'klp.rules.yml'), rules);
    writeFileSync(
      join(tmp, 'prometheus.yml'),
      stringify({
        global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
        rule_files: ['klp.rules.yml'],
        scrape_configs: [{ job_name: JOB, static_configs: targets }],
      }),
    );

    const port = await freePort();
    promUrl = `http://127.0.0.1:${port}`;
    prometheus = spawn(prometheusBin, [`--config.file=${join(tmp, 'prometheus.yml')}`, `--storage.tsdb.path=${join(tmp, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, `--web.external-url=${promUrl}`], {
      cwd: tmp,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    prometheus.stdout!.on('data', (d: Buffer) => (promLog += d.toString()));
    prometheus.stderr!.on('data', (d: Buffer) => (promLog += d.toString()));

    // All targets scraped (the first scrape comes a few seconds after start).
    const deadline = Date.now() + 30_000;
    let health: string[] = [];
    while (Date.now() < deadline) {
      if (prometheus.exitCode !== null) throw new Error(`prometheus exited with ${prometheus.exitCode}:\n${promLog}`);
      try {
        const r = await api<{ activeTargets: { labels: { instance: string }; health: string }[] }>('/api/v1/targets');
        health = r.data.activeTargets.map((t) => `${t.labels.instance}=${t.health}`).sort();
        // `down` never comes up; every other target must.
        if (health.length === FLEET.length && health.every((h) => h.endsWith('=up') || h === 'down=down')) break;
      } catch {
        // not listening yet
      }
      await sleep(250);
    }
    expect(health).toEqual(FLEET.map((h) => `${h.instance}=${h.scenario ? 'up' : 'down'}`).sort());
  }, 80_000);

  afterAll(async () => {
    if (prometheus && prometheus.exitCode === null && prometheus.pid !== undefined) {
      const exited = new Promise((r) => prometheus!.once('exit', r));
      process.kill(-prometheus.pid, 'SIGTERM');
      const timer = setTimeout(() => prometheus!.pid !== undefined && process.kill(-prometheus!.pid, 'SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    await Promise.all(exporters.map((e) => e.stop()));
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }, 20_000);

  test('the expected Klp alerts fire for the expected instances, and no others', async () => {
    // Recording rules first, then the alerts' 3 s `for:`; poll instead of sleeping a fixed time.
    const deadline = Date.now() + 40_000;
    let firing: string[] = [];
    while (Date.now() < deadline) {
      firing = (await firingAlerts()).map(alertKey).sort();
      if (JSON.stringify(firing) === JSON.stringify(expectedFiring)) break;
      await sleep(500);
    }
    expect(firing).toEqual(expectedFiring);
  }, 45_000);

  test('firing alerts carry the annotations, with the templates expanded', async () => {
    const alerts = await firingAlerts();
    expect(alerts.length).toBe(expectedFiring.length);
    for (const a of alerts) {
      const { description, summary, runbook_url } = a.annotations;
      expect(summary).toMatch(/^[A-Z].*\.$/);
      expect(runbook_url).toBe(`${config.runbookUrlBase}#${a.labels.alertname.toLowerCase()}`);
      expect(description).not.toMatch(/error|<no value>/i);
      expect(description).toContain(a.labels.instance);
      // Alerts about a host's live patch name its kernel and its enabled live patch package (none when all are disabled).
      if (a.labels.release) {
        expect(description).toContain(a.labels.release);
        if (/Expir|Transition|NotApplied|Drift|NotBooted/.test(a.labels.alertname)) {
          if (a.labels.instance === 'patch-disabled-expired') expect(description).toContain('Enabled live patch: none.');
          else expect(description).toMatch(/Enabled live patch(?: packages)?: (kernel-livepatch-6_4_0-150600_23_25-default-|livepatch_)/);
        }
      }
    }
  });

  test('every rule expression is accepted and returns data exactly when its alert is expected', async () => {
    for (const rule of loadRules(`${root}alerts/klp.rules.yml`).flatMap((g) => g.rules)) {
      const r = await query(rule.expr);
      const name = rule.alert ? `${rule.alert} ${rule.labels?.severity}` : rule.record!;
      expect({ name, status: r.status, error: r.error }).toEqual({ name, status: 'success', error: undefined });
      const expectData = rule.record !== undefined || expectedFiring.some((k) => k.split(' ').slice(1, 3).join(' ') === name);
      expect({ name, hasData: r.data.result.length > 0 }).toEqual({ name, hasData: expectData });
    }
  });

  test('the fleet dashboard counts what the alerts count, and every host that is up', async () => {
    const fleet = loadDashboard(`${root}dashboards/${config.dashboards.fleet.file}`);
    const panelExpr = (title: string) => {
      const found = dashboardExprs(fleet).filter((e) => e.panel.title === title);
      expect(found).toHaveLength(1);
      return substituteGrafanaVars(found[0]!.expr, { job: JOB, instance: '.*' });
    };
    const values = async (expr: string) => {
      const r = (await query(expr)) as ApiResponse<{ result: { metric: Record<string, string>; value: [number, string] }[] }>;
      expect(r.status).toBe('success');
      return r.data.result.map((x) => ({ labels: x.metric, value: Number(x.value[1]) }));
    };
    // "Update not applied" counts exactly the hosts KlpLivePatchUpdateNotApplied fires for.
    const notApplied = new Set(FLEET.filter((h) => h.alerts.some((a) => a.startsWith('KlpLivePatchUpdateNotApplied'))).map((h) => h.instance));
    expect(notApplied.size).toBeGreaterThan(0);
    expect(await values(panelExpr('Update not applied'))).toEqual([{ labels: {}, value: notApplied.size }]);
    // "Hosts by live patch state" adds up to the hosts that are up, the one whose state is unknown included.
    const up = FLEET.filter((h) => h.scenario).length;
    const byState = await values(panelExpr('Hosts by live patch state'));
    expect(byState.reduce((sum, x) => sum + x.value, 0)).toBe(up);
    expect(byState.find((x) => x.labels.state === 'unknown')?.value).toBe(1);
    const recorded = await values(`state:klp_livepatch_state:sum{job="${JOB}"}`);
    expect(recorded.reduce((sum, x) => sum + x.value, 0)).toBe(up);
  });

  test('every dashboard expression is accepted and returns data', async () => {
    const exprs = Object.values(config.dashboards).flatMap((d) => dashboardExprs(loadDashboard(`${root}dashboards/${d.file}`)));
    expect(exprs.length).toBeGreaterThan(30);
    for (const { where, expr } of exprs) {
      const r = await query(substituteGrafanaVars(expr, { job: JOB, instance: '.*' }));
      expect({ where, status: r.status, error: r.error }).toEqual({ where, status: 'success', error: undefined });
      expect({ where, hasData: r.data.result.length > 0 }).toEqual({ where, hasData: true });
    }
  });
});
