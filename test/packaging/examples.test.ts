// Fleet rollout examples: the Prometheus configuration with Uyuni service discovery (promtool check config,
// with the rules `klp_exporter rules` prints; its relabelling applied to sample Uyuni targets), the Uyuni snippets
// in docs/operations.md, and the Salt state.
//
// Salt is not installable on the test machines (not in Debian 12, PyPI unreachable), so the Salt state is not
// run by salt-call: its Jinja is rendered by python3-jinja2 with a stand-in for salt['pillar.get'], and the YAML
// that comes out is checked for Salt's state structure (one module.function per ID, argument lists, requisites
// that name existing states) and for what it does in each mode.

import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { PROJECT } from '../helpers/fixture-host.js';
import { promtoolPath } from '../helpers/promtool.js';

const EXAMPLE = path.join(PROJECT, 'examples/prometheus-uyuni.yml');

interface RelabelConfig {
  source_labels?: string[];
  separator?: string;
  regex?: string;
  target_label?: string;
  replacement?: string;
  action?: string;
}

/** Prometheus' `replace` and `keep` relabel actions (anchored RE2 regexes; these ones mean the same in JS). */
function relabel(labels: Record<string, string>, configs: RelabelConfig[]): Record<string, string> | undefined {
  const out = { ...labels };
  for (const c of configs) {
    const value = (c.source_labels ?? []).map((l) => out[l] ?? '').join(c.separator ?? ';');
    const re = new RegExp(`^(?:${c.regex ?? '(.*)'})$`);
    const m = re.exec(value);
    const action = c.action ?? 'replace';
    if (action === 'keep') {
      if (!m) return undefined;
    } else if (action === 'replace') {
      if (!m) continue;
      const target = (c.replacement ?? '$1').replace(/\$\{(\d+)\}|\$(\d+)/g, (_x, a: string, b: string) => m[Number(a ?? b)] ?? '');
      if (target === '') delete out[c.target_label!];
      else out[c.target_label!] = target;
    } else {
      throw new Error(`relabel action ${action} not simulated`);
    }
  }
  return out;
}

describe('examples/prometheus-uyuni.yml', () => {
  it('promtool check config accepts it exactly as it is in the repository: its rule_files exist beside it', () => {
    const r = spawnSync(promtoolPath(), ['check', 'config', EXAMPLE], { encoding: 'utf8' });
    expect({ status: r.status, out: r.stdout + r.stderr }).toEqual({ status: 0, out: expect.stringContaining('SUCCESS: 1 rule files found') });
  });

  it('the rules beside it are the shipped rules, and its header says how to print them for another place', () => {
    expect(readFileSync(path.join(PROJECT, 'examples/rules/klp.rules.yml'), 'utf8')).toBe(readFileSync(path.join(PROJECT, 'alerts/klp.rules.yml'), 'utf8'));
    const header = readFileSync(EXAMPLE, 'utf8').split('\nglobal:')[0]!;
    expect(header).toContain('klp_exporter rules');
    expect(header).toContain('rules/klp.rules.yml');
  });

  it('promtool does reject password_file in uyuni_sd_configs (the mistake the docs used to make)', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'klp-uyuni-'));
    try {
      const bad = readFileSync(EXAMPLE, 'utf8').replace(/password: change-me/, 'password_file: /etc/prometheus/uyuni-password');
      writeFileSync(path.join(dir, 'prometheus.yml'), bad);
      const r = spawnSync(promtoolPath(), ['check', 'config', '--syntax-only', path.join(dir, 'prometheus.yml')], { encoding: 'utf8' });
      expect(r.status).not.toBe(0);
      expect(r.stdout + r.stderr).toContain('field password_file not found in type uyuni.plain');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("its relabelling turns each system's node_exporter endpoint into klp_exporter's port and drops the other exporters", () => {
    const job = (parse(readFileSync(EXAMPLE, 'utf8')) as { scrape_configs: { job_name: string; relabel_configs: RelabelConfig[] }[] }).scrape_configs.find((j) => j.job_name === 'klp')!;
    const target = (exporter: string, address: string) => ({
      __address__: address,
      __metrics_path__: '/metrics',
      __scheme__: 'https',
      __meta_uyuni_exporter: exporter,
      __meta_uyuni_minion_hostname: 'sles1',
      __meta_uyuni_primary_fqdn: 'sles1.example.com',
      __meta_uyuni_groups: 'prod,sap',
      __meta_uyuni_system_id: '1000010001',
    });
    expect(relabel(target('node_exporter', 'sles1.example.com:9100'), job.relabel_configs)).toMatchObject({
      __address__: 'sles1.example.com:10055',
      __metrics_path__: '/metrics',
      __scheme__: 'http',
      instance: 'sles1.example.com',
      groups: 'prod,sap',
      uyuni_system_id: '1000010001',
    });
    expect(relabel(target('node_exporter', '[2001:db8::1]:9100'), job.relabel_configs)?.__address__).toBe('[2001:db8::1]:10055');
    expect(relabel(target('postgres_exporter', 'db1.example.com:9187'), job.relabel_configs)).toBeUndefined();
    expect(relabel(target('apache_exporter', 'web1.example.com:9117'), job.relabel_configs)).toBeUndefined();
  });

  it('every Uyuni snippet in docs/operations.md passes promtool check config --syntax-only', () => {
    const doc = readFileSync(path.join(PROJECT, 'docs/operations.md'), 'utf8');
    const blocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!).filter((b) => b.includes('uyuni_sd_configs'));
    expect(blocks.length).toBeGreaterThan(0);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'klp-uyuni-doc-'));
    try {
      for (const [i, block] of blocks.entries()) {
        const file = path.join(dir, `doc-${i}.yml`);
        writeFileSync(file, block);
        const r = spawnSync(promtoolPath(), ['check', 'config', '--syntax-only', file], { encoding: 'utf8' });
        expect({ i, status: r.status, out: r.stdout + r.stderr }).toEqual({ i, status: 0, out: expect.stringContaining('SUCCESS') });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

type State = Record<string, Record<string, unknown>[]>;

/** Render init.sls (Jinja) with a pillar, the way Salt's default jinja|yaml renderer does, and parse the YAML. */
function renderSalt(pillar: unknown): Record<string, State> {
  const py = [
    'import json, sys, jinja2',
    'pillar = json.loads(sys.argv[2])',
    'def pillar_get(key, default=None):',
    '    v = pillar',
    '    for k in key.split(":"):',
    '        if not isinstance(v, dict) or k not in v: return default',
    '        v = v[k]',
    '    return v',
    'env = jinja2.Environment(undefined=jinja2.StrictUndefined)',
    'src = open(sys.argv[1]).read()',
    'sys.stdout.write(env.from_string(src).render(salt={"pillar.get": pillar_get}, pillar=pillar, grains={}))',
  ].join('\n');
  const r = spawnSync('/usr/bin/python3', ['-c', py, path.join(PROJECT, 'examples/salt/klp_exporter/init.sls'), JSON.stringify(pillar)], { encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new Error(`rendering failed (needs python3-jinja2, scripts/install-test-deps.sh): ${r.error?.message ?? r.stderr}`);
  return parse(r.stdout) as Record<string, State>;
}

const ALLOWED = new Set(['pkg.installed', 'file.keyvalue', 'service.running', 'service.dead']);
const REQUISITES = new Set(['require', 'watch', 'onchanges', 'prereq']);

/** Salt's state structure: ID → { module.function: [ {arg: value}, … ] }, requisites naming existing states. */
function checkStructure(states: Record<string, State>): Map<string, { fn: string; args: Record<string, unknown> }> {
  const out = new Map<string, { fn: string; args: Record<string, unknown> }>();
  for (const [id, body] of Object.entries(states)) {
    const fns = Object.keys(body);
    expect([id, fns.length]).toEqual([id, 1]);
    const fn = fns[0]!;
    expect([id, ALLOWED.has(fn)]).toEqual([id, true]);
    const args: Record<string, unknown> = {};
    for (const item of body[fn]!) {
      expect([id, Object.keys(item).length]).toEqual([id, 1]);
      Object.assign(args, item);
    }
    expect([id, typeof args.name]).toEqual([id, 'string']);
    out.set(id, { fn, args });
  }
  for (const [id, { args }] of out) {
    for (const [k, v] of Object.entries(args)) {
      if (!REQUISITES.has(k)) continue;
      for (const req of v as Record<string, string>[]) {
        const [mod, target] = Object.entries(req)[0]!;
        expect([id, k, out.get(target)?.fn.split('.')[0]]).toEqual([id, k, mod]);
      }
    }
  }
  return out;
}

describe('examples/salt/klp_exporter/init.sls', () => {
  it('service mode (default): installs the RPM, writes ARGS, runs and enables prometheus-klp_exporter.service', () => {
    const s = checkStructure(renderSalt({ klp_exporter: { args: '--web.listen-address=:10055 --collector.klp.cve-info' } }));
    expect(s.get('klp_exporter_package')).toEqual({ fn: 'pkg.installed', args: { name: 'prometheus-klp_exporter' } });
    expect(s.get('klp_exporter_sysconfig')?.args).toMatchObject({
      name: '/etc/sysconfig/prometheus-klp_exporter',
      key: 'ARGS',
      value: '"--web.listen-address=:10055 --collector.klp.cve-info"',
      separator: '=',
    });
    expect(s.get('klp_exporter_service')).toMatchObject({ fn: 'service.running', args: { name: 'prometheus-klp_exporter.service', enable: true } });
    expect(s.get('klp_exporter_service')?.args.watch).toEqual([{ pkg: 'klp_exporter_package' }, { file: 'klp_exporter_sysconfig' }]);
    expect(s.get('klp_exporter_textfile_timer')?.fn).toBe('service.dead');
    // Defaults with no pillar at all.
    expect(checkStructure(renderSalt({})).get('klp_exporter_sysconfig')?.args.value).toBe('"--web.listen-address=:10055"');
  });

  it('textfile mode: the timer runs, the service is stopped and disabled', () => {
    const s = checkStructure(renderSalt({ klp_exporter: { mode: 'textfile', textfile_args: '--collector.klp.cve-info' } }));
    expect(s.get('klp_exporter_textfile_timer')).toMatchObject({ fn: 'service.running', args: { name: 'prometheus-klp_exporter-textfile.timer', enable: true } });
    expect(s.get('klp_exporter_service')).toMatchObject({ fn: 'service.dead', args: { name: 'prometheus-klp_exporter.service', enable: false } });
    expect(s.get('klp_exporter_textfile_sysconfig')?.args.value).toBe('"--collector.klp.cve-info"');
  });

  it('quotes, $, backquotes and backslashes in the pillar cannot break out of ARGS="…"', () => {
    const s = checkStructure(renderSalt({ klp_exporter: { args: '--log.level=debug" ; rm -rf / ; "$(id)`id`\\\'x: y' } }));
    expect(s.get('klp_exporter_sysconfig')?.args.value).toBe('"--log.level=debug ; rm -rf / ; (id)id\'x: y"');
  });

  it('the example pillar is the shape the state reads', () => {
    const pillar = parse(readFileSync(path.join(PROJECT, 'examples/salt/klp_exporter/pillar.example.sls'), 'utf8')) as { klp_exporter: { args: string } };
    expect(checkStructure(renderSalt(pillar)).get('klp_exporter_sysconfig')?.args.value).toBe(`"${pillar.klp_exporter.args}"`);
  });
});
