import { describe, expect, test } from '@jest/globals';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { config } from '../../dashboards/config.js';
import { loadRules, parseErrors, requireBinary, run, selectors } from './promql.js';
import { TEXTFILE_ALERTS } from '../../src/monitoring.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const rulesPath = 'alerts/klp.rules.yml';
const testFiles = readdirSync(`${root}alerts/tests`)
  .filter((f) => f.endsWith('.yml'))
  .map((f) => `alerts/tests/${f}`);

const groups = loadRules(`${root}${rulesPath}`);
const alerts = groups.flatMap((g) => g.rules.filter((r) => r.alert !== undefined));
const alertNames = [...new Set(alerts.map((r) => r.alert as string))];
const records = groups.flatMap((g) => g.rules.flatMap((r) => (r.record === undefined ? [] : [r.record])));

describe('alerts/klp.rules.yml', () => {
  test('promtool check rules accepts the rules file', () => {
    const promtool = requireBinary('promtool', 'prometheus');
    const r = run(promtool, ['check', 'rules', rulesPath], root);
    expect(`${r.stdout}${r.stderr}`).toContain('SUCCESS');
    expect(r.status).toBe(0);
  });

  test('promtool test rules passes every unit test file in alerts/tests', () => {
    const promtool = requireBinary('promtool', 'prometheus');
    expect(testFiles.length).toBeGreaterThan(0);
    const r = run(promtool, ['test', 'rules', ...testFiles], root);
    if (r.status !== 0) throw new Error(`promtool test rules failed (exit ${r.status}):\n${r.stdout}${r.stderr}`);
    expect(r.stdout.match(/SUCCESS/g)?.length).toBe(testFiles.length);
  });

  // promtool evaluates the groups of a test in random order unless group_eval_order says
  // otherwise; an alert reading a recorded series then sometimes sees it one evaluation late.
  test('every test file evaluates the groups in the order the rules depend on them', () => {
    for (const f of testFiles) {
      const doc = parseYaml(readFileSync(`${root}${f}`, 'utf8')) as { group_eval_order?: string[] };
      expect({ file: f, order: doc.group_eval_order }).toEqual({ file: f, order: groups.map((g) => g.name) });
    }
  });

  test('every alert has a promtool case where it fires and one where it does not', () => {
    interface AlertTest {
      alertname: string;
      exp_alerts?: { exp_labels?: Record<string, string>; exp_annotations?: Record<string, string> }[];
    }
    const cases: AlertTest[] = testFiles.flatMap((f) => {
      const doc = parseYaml(readFileSync(`${root}${f}`, 'utf8')) as { rule_files: string[]; tests: { alert_rule_test?: AlertTest[] }[] };
      expect(doc.rule_files).toEqual(['../klp.rules.yml']);
      return doc.tests.flatMap((t) => t.alert_rule_test ?? []);
    });
    for (const name of alertNames) {
      const mine = cases.filter((c) => c.alertname === name);
      const firing = mine.filter((c) => (c.exp_alerts ?? []).length > 0);
      const quiet = mine.filter((c) => (c.exp_alerts ?? []).length === 0);
      expect({ name, firing: firing.length > 0, quiet: quiet.length > 0 }).toEqual({ name, firing: true, quiet: true });
      // Each firing case states the labels and all three annotations, runbook_url included.
      for (const exp of firing.flatMap((c) => c.exp_alerts ?? [])) {
        expect(exp.exp_labels?.severity).toMatch(/^(critical|warning|info)$/);
        expect(Object.keys(exp.exp_annotations ?? {}).sort()).toEqual(['description', 'runbook_url', 'summary']);
        expect(exp.exp_annotations?.runbook_url).toBe(`${config.runbookUrlBase}#${name.toLowerCase()}`);
      }
    }
    // Cases must not test alerts that do not exist.
    for (const c of cases) expect(alertNames).toContain(c.alertname);
  });

  test('every recording rule has a promtool case that checks samples it records', () => {
    interface ExprTest {
      expr: string;
      exp_samples?: { labels?: string; value?: number }[];
    }
    const cases: ExprTest[] = testFiles.flatMap((f) => {
      const doc = parseYaml(readFileSync(`${root}${f}`, 'utf8')) as { tests: { promql_expr_test?: ExprTest[] }[] };
      return doc.tests.flatMap((t) => t.promql_expr_test ?? []);
    });
    expect(records.length).toBeGreaterThan(0);
    for (const record of records) {
      const checked = cases.some((c) => c.expr.trim() === record && (c.exp_samples ?? []).some((s) => s.labels?.startsWith(`${record}{`)));
      expect({ record, checked }).toEqual({ record, checked: true });
    }
  });

  test('recording rules are named level:metric:operations and keep the job label', () => {
    for (const record of records) {
      expect(record).toMatch(/^[a-z_]+:[a-z_]+:[a-z_]+$/);
      const expr = groups.flatMap((g) => g.rules).find((r) => r.record === record)!.expr;
      // An aggregation at the top must keep `job` (the dashboards filter recorded series by job).
      const by = /^\s*\w+ by \(([^)]*)\)/.exec(expr)?.[1];
      if (by !== undefined) expect({ record, by: by.split(',').map((l) => l.trim()) }).toEqual({ record, by: expect.arrayContaining(['job']) });
      expect(expr).not.toMatch(/^\s*\w+ without\b/);
    }
  });

  test('alerts follow the mixin conventions: Klp names, severity, static summary, templated description, runbook_url', () => {
    expect(alertNames.length).toBeGreaterThanOrEqual(10);
    for (const a of alerts) {
      const name = a.alert as string;
      expect(name).toMatch(/^Klp[A-Z][A-Za-z]+$/);
      expect(['critical', 'warning', 'info']).toContain(a.labels?.severity);
      const summary = a.annotations?.summary ?? '';
      expect(summary).toMatch(/^[A-Z].*\.$/);
      expect(summary).not.toContain('{{');
      const description = a.annotations?.description ?? '';
      // Every description names the job's instance; the absent() alert has no instance and names the selector.
      expect(description).toMatch(name === 'KlpExporterAbsent' ? /\$labels\.job/ : /\$labels\.instance/);
      expect(a.annotations?.runbook_url).toBe(`${config.runbookUrlBase}#${name.toLowerCase()}`);
      expect(a.for).toMatch(/^\d+[smhd]$/);
    }
  });

  test('every selector in every rule is restricted to the configured job', () => {
    const [, jobName] = /^job="([^"]+)"$/.exec(config.jobSelector) ?? [];
    expect(jobName).toBeDefined();
    for (const rule of groups.flatMap((g) => g.rules)) {
      expect(parseErrors(rule.expr)).toEqual([]);
      const sels = selectors(rule.expr);
      expect(sels.length).toBeGreaterThan(0);
      for (const s of sels) {
        expect({ rule: rule.alert ?? rule.record, selector: s.text, job: s.matchers.get('job') }).toEqual({
          rule: rule.alert ?? rule.record,
          selector: s.text,
          job: { op: '=', value: jobName },
        });
      }
    }
  });

  test('docs/runbook.md has one section per alert, anchored by the lower-cased alert name', () => {
    const runbook = readFileSync(`${root}docs/runbook.md`, 'utf8');
    // The alerts that only `klp_exporter rules --textfile` adds have their sections too (test/packaging/monitoring.test.ts).
    const headings = [...runbook.matchAll(/^## (Klp\w+)\s*$/gm)].map((m) => m[1]).filter((h) => !TEXTFILE_ALERTS.includes(h!));
    expect([...headings].sort()).toEqual([...alertNames].sort());
  });
});

describe('alerts/alertmanager.example.yml', () => {
  test('amtool check-config accepts it', () => {
    const amtool = requireBinary('amtool', 'prometheus-alertmanager');
    const r = run(amtool, ['check-config', 'alerts/alertmanager.example.yml'], root);
    if (r.status !== 0) throw new Error(`amtool check-config failed (exit ${r.status}):\n${r.stdout}${r.stderr}`);
    expect(r.stdout).toContain('SUCCESS');
  });

  test('routes every severity the rules use', () => {
    const am = parseYaml(readFileSync(`${root}alerts/alertmanager.example.yml`, 'utf8')) as { route: { routes: { matchers: string[] }[] } };
    const routed = am.route.routes.flatMap((r) => r.matchers).join(' ');
    for (const severity of new Set(alerts.map((a) => a.labels?.severity))) expect(routed).toContain(`severity="${severity}"`);
  });
});
