/** Helpers shared by the alert, dashboard and integration tests: PromQL parsing, dashboard walking, tool lookup. */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { parser } from '@prometheus-io/lezer-promql';
import { parse as parseYaml } from 'yaml';

/** Absolute path of `name` on PATH; throws a clear error when it is missing (tests never skip silently). */
export function requireBinary(name: string, pkg: string): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // keep looking
    }
  }
  throw new Error(`${name} not found on PATH: install the Debian package "${pkg}" (apt-get install ${pkg}) to run this test`);
}

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function run(bin: string, args: string[], cwd?: string): RunResult {
  const r = spawnSync(bin, args, { cwd, encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Grafana variables replaced by concrete values so Prometheus (and the lezer parser) accept the expression. */
export function substituteGrafanaVars(expr: string, vars: { job: string; instance: string }): string {
  return expr.replaceAll('$__rate_interval', '5m').replaceAll('$__interval', '1m').replaceAll('$__range', '1h').replaceAll('$job', vars.job).replaceAll('$instance', vars.instance);
}

/** Offsets of syntax errors found by the lezer PromQL parser (which never throws). */
export function parseErrors(expr: string): number[] {
  const errors: number[] = [];
  parser.parse(expr).iterate({
    enter(n) {
      if (n.type.isError) errors.push(n.from);
    },
  });
  return errors;
}

export interface Selector {
  metric: string;
  text: string;
  matchers: Map<string, { op: string; value: string }>;
}

/** Every vector selector in `expr` with its label matchers. */
export function selectors(expr: string): Selector[] {
  const out: Selector[] = [];
  const tree = parser.parse(expr);
  tree.iterate({
    enter(n) {
      if (n.type.name !== 'VectorSelector') return;
      const sel: Selector = { metric: '', text: expr.slice(n.from, n.to), matchers: new Map() };
      const c = n.node.cursor();
      if (c.firstChild()) {
        do {
          if (c.type.name === 'Identifier') sel.metric = expr.slice(c.from, c.to);
          if (c.type.name === 'LabelMatchers') {
            for (let m = c.node.firstChild; m; m = m.nextSibling) {
              if (!m.type.name.endsWith('LabelMatcher')) continue;
              const name = m.getChild('LabelName');
              const op = m.getChild('MatchOp');
              const value = m.getChild('StringLiteral');
              if (name && op && value) {
                sel.matchers.set(expr.slice(name.from, name.to), {
                  op: expr.slice(op.from, op.to),
                  value: JSON.parse(expr.slice(value.from, value.to).replace(/^'|'$/g, '"')) as string,
                });
              }
            }
          }
        } while (c.nextSibling());
      }
      out.push(sel);
    },
  });
  return out;
}

export interface Panel {
  id?: number;
  type: string;
  title?: string;
  description?: string;
  gridPos?: { x: number; y: number; w: number; h: number };
  datasource?: { type?: string; uid?: string };
  fieldConfig?: { defaults?: { unit?: string }; overrides?: unknown[] };
  targets?: { expr?: string; refId?: string; instant?: boolean; range?: boolean; datasource?: { type?: string; uid?: string } }[];
  panels?: Panel[];
}

export interface Dashboard {
  uid: string;
  title: string;
  editable: boolean;
  schemaVersion: number;
  tags: string[];
  panels: Panel[];
  templating: { list: { name: string; type: string; query?: unknown; datasource?: { type?: string; uid?: string } }[] };
}

export function loadDashboard(path: string): Dashboard {
  return JSON.parse(readFileSync(path, 'utf8')) as Dashboard;
}

/** All panels, including those inside collapsed rows. */
export function allPanels(d: Dashboard): Panel[] {
  return d.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
}

/** Every PromQL target expression of a dashboard with where it comes from, and whether it is a range query. */
export function dashboardExprs(d: Dashboard): { where: string; expr: string; range: boolean; panel: Panel }[] {
  return allPanels(d).flatMap((p) => (p.targets ?? []).map((t) => ({ where: `${d.uid} / ${p.title} / ${t.refId}`, expr: t.expr ?? '', range: t.range === true || t.instant !== true, panel: p })));
}

/** Recording rule outputs follow the level:metric:operations convention; raw metric names have no colon. */
export function isRecorded(metric: string): boolean {
  return metric.includes(':');
}

interface RuleGroup {
  name: string;
  rules: { alert?: string; record?: string; expr: string; for?: string; labels?: Record<string, string>; annotations?: Record<string, string> }[];
}

export function loadRules(path: string): RuleGroup[] {
  return (parseYaml(readFileSync(path, 'utf8')) as { groups: RuleGroup[] }).groups;
}
