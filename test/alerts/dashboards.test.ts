import { afterAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { config } from '../../dashboards/config.js';
import { type Dashboard, allPanels, dashboardExprs, isRecorded, loadDashboard, loadRules, parseErrors, requireBinary, run, selectors, substituteGrafanaVars } from './promql.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const DS_REF = { type: 'prometheus', uid: '${datasource}' };
const specs = Object.values(config.dashboards);
const dashboards: [string, Dashboard][] = specs.map((s) => [s.file, loadDashboard(`${root}dashboards/${s.file}`)]);
const recordingRules = loadRules(`${root}alerts/klp.rules.yml`).flatMap((g) => g.rules.filter((r) => r.record !== undefined));

describe.each(dashboards)('dashboards/%s', (file, d) => {
  const spec = specs.find((s) => s.file === file)!;
  const panels = allPanels(d);
  const visual = panels.filter((p) => p.type !== 'row');

  test('has its fixed uid, a title, tags and is not editable', () => {
    expect(d.uid).toBe(spec.uid);
    expect(d.title).toBe(spec.title);
    expect(d.tags).toContain(config.dashboardTag);
    expect(d.editable).toBe(false);
    expect(typeof d.schemaVersion).toBe('number');
  });

  test('has exactly one datasource variable, named datasource, and job and instance variables querying it', () => {
    const vars = d.templating.list;
    const dsVars = vars.filter((v) => v.type === 'datasource');
    expect(dsVars.map((v) => [v.name, v.query])).toEqual([['datasource', 'prometheus']]);
    for (const name of ['job', 'instance']) {
      const v = vars.find((x) => x.name === name);
      expect(v?.type).toBe('query');
      expect(v?.datasource).toEqual(DS_REF);
    }
  });

  test('every panel has a unique id, a title, a description, a valid gridPos and no overlap', () => {
    const ids = panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(panels.length);
    const taken = new Set<string>();
    for (const p of panels) {
      expect(p.title).toBeTruthy();
      const g = p.gridPos!;
      for (const k of ['x', 'y', 'w', 'h'] as const) expect(Number.isInteger(g[k])).toBe(true);
      expect(g.w).toBeGreaterThan(0);
      expect(g.h).toBeGreaterThan(0);
      expect(g.x).toBeGreaterThanOrEqual(0);
      expect(g.x + g.w).toBeLessThanOrEqual(24);
      if (p.type === 'row') expect([g.w, g.h]).toEqual([24, 1]);
      else expect(p.description).toBeTruthy();
      for (let x = g.x; x < g.x + g.w; x++)
        for (let y = g.y; y < g.y + g.h; y++) {
          const cell = `${x},${y}`;
          if (taken.has(cell)) throw new Error(`panel "${p.title}" overlaps another panel at ${cell}`);
          taken.add(cell);
        }
    }
  });

  test('every panel has a unit and uses the datasource variable, and so does every target', () => {
    expect(visual.length).toBeGreaterThan(5);
    for (const p of visual) {
      expect({ panel: p.title, unit: Boolean(p.fieldConfig?.defaults?.unit) }).toEqual({ panel: p.title, unit: true });
      expect(p.datasource).toEqual(DS_REF);
      expect(p.targets?.length).toBeGreaterThan(0);
      for (const t of p.targets ?? []) expect(t.datasource).toEqual(DS_REF);
    }
  });

  test('every target expression parses after substituting the Grafana variables', () => {
    for (const { where, expr } of dashboardExprs(d)) {
      expect(expr).not.toBe('');
      expect({ where, errors: parseErrors(substituteGrafanaVars(expr, { job: 'klp', instance: '.*' })) }).toEqual({ where, errors: [] });
    }
  });

  test('every selector carries the job matcher, and raw metrics the instance matcher too', () => {
    for (const { where, expr } of dashboardExprs(d)) {
      for (const s of selectors(expr)) {
        const job = s.matchers.get('job');
        expect({ where, selector: s.text, job }).toEqual({ where, selector: s.text, job: { op: '=~', value: '$job' } });
        // Recording rules (level:metric:ops) aggregate the instance away.
        if (!isRecorded(s.metric)) {
          const instance = s.matchers.get('instance');
          expect({ where, selector: s.text, instance }).toEqual({ where, selector: s.text, instance: { op: '=~', value: '$instance' } });
        }
      }
    }
  });

  test('every recorded series it reads is defined by a recording rule of alerts/klp.rules.yml', () => {
    for (const { where, expr } of dashboardExprs(d)) {
      for (const s of selectors(expr).filter((x) => isRecorded(x.metric))) {
        const rule = recordingRules.find((r) => r.record === s.metric);
        expect({ where, metric: s.metric, defined: rule !== undefined }).toEqual({ where, metric: s.metric, defined: true });
      }
    }
  });

  test('panels that read only fleet-wide recorded series name the rules and say the Instance filter does not apply', () => {
    for (const p of visual) {
      const sels = (p.targets ?? []).flatMap((t) => selectors(t.expr ?? ''));
      // Per-host rules (instance:…) keep the instance label and are selected with the Instance filter.
      if (sels.length === 0 || !sels.every((s) => isRecorded(s.metric) && !s.matchers.has('instance'))) continue;
      const description = p.description ?? '';
      expect({ panel: p.title, says: /the Instance filter does not apply/.test(description) }).toEqual({ panel: p.title, says: true });
      for (const s of sels) expect({ panel: p.title, names: description.includes(s.metric) }).toEqual({ panel: p.title, names: true });
    }
  });

  test('rate(), irate() and increase() use $__rate_interval', () => {
    for (const { where, expr } of dashboardExprs(d)) {
      for (const m of expr.matchAll(/\b(rate|irate|increase)\s*\(([^()]*)\)/g)) {
        expect({ where, call: m[0], range: /\[([^\]]+)\]/.exec(m[2])?.[1] }).toEqual({ where, call: m[0], range: '$__rate_interval' });
      }
    }
  });
});

describe('dashboards/klp-fleet.json at fleet scale', () => {
  const fleet = dashboards.find(([file]) => file === config.dashboards.fleet.file)![1];

  // A range over the raw series of every host (instance = All) evaluates all of them at every step: over
  // 10,000 hosts and 7 days that takes seconds or exceeds Prometheus's sample limit (docs/benchmarks.md,
  // section 5). The fleet dashboard's time series panels read recorded series instead.
  test('every range query reads recorded series only', () => {
    const ranges = dashboardExprs(fleet).filter((e) => e.range);
    expect(ranges.length).toBeGreaterThanOrEqual(4);
    for (const { where, expr } of ranges) {
      const raw = selectors(expr)
        .filter((s) => !isRecorded(s.metric))
        .map((s) => s.text);
      expect({ where, raw }).toEqual({ where, raw: [] });
    }
  });
});

describe('dashboards together', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  test('uids are unique and the fleet table links to the host dashboard', () => {
    expect(new Set(dashboards.map(([, d]) => d.uid)).size).toBe(dashboards.length);
    const fleet = JSON.stringify(dashboards.find(([, d]) => d.uid === config.dashboards.fleet.uid)?.[1]);
    expect(fleet).toContain(`/d/${config.dashboards.host.uid}?`);
  });

  test('promtool check rules accepts every dashboard expression wrapped as a recording rule', () => {
    const promtool = requireBinary('promtool', 'prometheus');
    const exprs = dashboards.flatMap(([, d]) => dashboardExprs(d));
    const rules = exprs.map(({ expr }, i) => ({ record: `dashboard:expr_${i}:check`, expr: substituteGrafanaVars(expr, { job: 'klp', instance: '.*' }) }));
    const dir = mkdtempSync(join(tmpdir(), 'klp-dash-'));
    dirs.push(dir);
    const file = join(dir, 'dashboard-exprs.yml');
    writeFileSync(file, stringify({ groups: [{ name: 'dashboard-exprs', rules }] }));
    const r = run(promtool, ['check', 'rules', file]);
    if (r.status !== 0) throw new Error(`promtool rejected a dashboard expression:\n${r.stdout}${r.stderr}`);
    expect(r.stdout).toContain(`SUCCESS: ${rules.length} rules found`);
  });
});
