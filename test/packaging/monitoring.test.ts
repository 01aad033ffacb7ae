// `klp_exporter rules` / `dashboard` (src/monitoring.ts): the shipped rules rewritten for any selector and runbook
// base, whatever rules the shipped file holds. Checked on the parsed PromQL of every rule: each vector selector of a
// klp series or recorded series carries the operator's matchers and none is left on the shipped job.

import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { config } from '../../dashboards/config.js';
import { DEFAULT_RUNBOOK_URL, SHIPPED_SELECTOR, UsageError, dashboardCommand, parseRunbookUrl, parseSelector, renderRules, rulesCommand } from '../../src/monitoring.js';
import { selectors } from '../alerts/promql.js';
import { PROJECT } from '../helpers/fixture-host.js';

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  annotations?: Record<string, string>;
}
const rulesOf = (text: string) => (parse(text) as { groups: { name: string; rules: Rule[] }[] }).groups.flatMap((g) => g.rules);
const shipped = readFileSync(path.join(PROJECT, 'alerts/klp.rules.yml'), 'utf8');

describe('klp_exporter rules', () => {
  it('knows the selector and runbook base the shipped files are generated with; shipped runbook URLs are the runbook the RPM installs', () => {
    expect(SHIPPED_SELECTOR).toBe(config.jobSelector);
    expect(DEFAULT_RUNBOOK_URL).toBe(config.runbookUrlBase);
    // The RPM test checks that this file and its sections are in the package.
    for (const r of rulesOf(shipped).filter((r) => r.alert)) {
      expect(r.annotations?.runbook_url).toBe(`file:///usr/share/doc/packages/prometheus-klp_exporter/docs/runbook.md#${r.alert!.toLowerCase()}`);
    }
  });

  it('without options prints the shipped rules unchanged (same rules, same expressions)', () => {
    expect(rulesOf(rulesCommand([]))).toEqual(rulesOf(shipped));
  });

  it('rewrites every selector and runbook URL, keeping every rule', () => {
    const out = rulesOf(rulesCommand(['--selector={job=~"node|klp", env="prod"}', '--runbook-url=https://wiki.example.com/ops/klp']));
    expect(out.map((r) => r.alert ?? r.record)).toEqual(rulesOf(shipped).map((r) => r.alert ?? r.record));
    for (const r of out) {
      for (const s of selectors(r.expr)) {
        if (!/^(klp_|up$|scrape_)|:/.test(s.metric)) continue;
        expect([r.alert ?? r.record, s.metric, s.matchers.get('job'), s.matchers.get('env')]).toEqual([r.alert ?? r.record, s.metric, { op: '=~', value: 'node|klp' }, { op: '=', value: 'prod' }]);
      }
      if (r.alert) expect(r.annotations?.runbook_url).toBe(`https://wiki.example.com/ops/klp#${r.alert.toLowerCase()}`);
      expect(JSON.stringify(r)).not.toContain('job=\\"klp\\"');
    }
  });

  it('textfile mode: default selector job="node", no rules about the klp scrape target, the stale-file alert at 3 periods', () => {
    const text = rulesCommand(['--textfile', '--textfile.interval=10m', '--textfile.name=live-patch.prom']);
    const out = rulesOf(text);
    expect(out.some((r) => /\bup\{|scrape_duration_seconds/.test(r.expr))).toBe(false);
    const stale = out.find((r) => r.alert === 'KlpTextfileStale')!;
    expect(stale.expr).toBe('time() - node_textfile_mtime_seconds{job="node", file=~"(.*/)?live-patch\\\\.prom"} > 1800');
    expect(out.find((r) => r.alert === 'KlpLivePatchExpired')?.expr).toContain('klp_patch_days_until_expiry{job="node"}');
  });

  it('the runbook has a section for each alert textfile mode adds', () => {
    const runbook = readFileSync(path.join(PROJECT, 'docs/runbook.md'), 'utf8');
    for (const r of rulesOf(rulesCommand(['--textfile'])).filter((r) => r.alert)) expect(runbook).toMatch(new RegExp(`^## ${r.alert}\\s*$`, 'm'));
  });

  it.each([['job="klp"} or vector(1) #'], ['job=klp'], ['job="a"; drop'], [''], ['job="a\nb"']])('refuses the selector %j', (sel) => {
    expect(() => parseSelector(sel)).toThrow(UsageError);
  });

  it.each([['docs/runbook.md'], ['javascript:alert(1)'], ['https://x.example/runbook#anchor']])('refuses the runbook URL %j', (url) => {
    expect(() => parseRunbookUrl(url)).toThrow(UsageError);
  });

  it('refuses unknown flags, textfile flags without --textfile, and bad dashboard names', () => {
    expect(() => rulesCommand(['--selektor=job="x"'])).toThrow(UsageError);
    expect(() => rulesCommand(['--textfile.interval=5m'])).toThrow(/need --textfile/);
    expect(() => rulesCommand(['--textfile', '--textfile.interval=0m'])).toThrow(UsageError);
    expect(() => dashboardCommand(['overview'])).toThrow(/fleet or host/);
  });

  it('dashboard --job sets the default of the job variable and nothing else', () => {
    const shippedFleet = JSON.parse(readFileSync(path.join(PROJECT, 'dashboards/klp-fleet.json'), 'utf8')) as { templating: { list: { name: string; current?: unknown }[] } };
    const out = JSON.parse(dashboardCommand(['fleet', '--job=node'])) as typeof shippedFleet;
    const job = out.templating.list.find((v) => v.name === 'job')!;
    expect(job.current).toEqual({ text: 'node', value: 'node' });
    shippedFleet.templating.list.find((v) => v.name === 'job')!.current = job.current;
    expect(out).toEqual(shippedFleet);
  });

  it("renderRules works on any rules file with the shipped selector (not tied to today's rule names)", () => {
    const other = `groups:\n  - name: x\n    rules:\n      - alert: KlpSomethingNew\n        expr: klp_new_metric{job="klp"} > 0\n        annotations:\n          runbook_url: https://old.example/runbook.md#klpsomethingnew\n`;
    const out = rulesOf(renderRules({ selector: 'job="n"', runbookUrl: 'https://new.example/rb' }, other));
    expect(out).toEqual([{ alert: 'KlpSomethingNew', expr: 'klp_new_metric{job="n"} > 0', annotations: { runbook_url: 'https://new.example/rb#klpsomethingnew' } }]);
  });
});
