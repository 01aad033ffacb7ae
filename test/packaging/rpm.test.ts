// `npm run rpm` for real: the bundle and the RPM are built into a temporary directory with rpmbuild (Debian's,
// so the spec's fallbacks for SUSE macros are exercised; the spec's %check runs the bundle), then the package's
// file list, dependencies and scriptlets are checked, its payload is unpacked into a temporary root, the
// installed units pass `systemd-analyze verify`, and the installed program (started through /usr/bin/klp_exporter,
// exactly as the installed unit's ExecStart says) serves a fixture host's golden scrape and writes the textfile.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MAIN, startProcess } from '../helpers/exporter-process.js';
import { loadScenario, normalizeScrape, PROJECT, scenarioArgs } from '../helpers/fixture-host.js';
import { freePort } from '../operations/process.js';
import { promtoolPath } from '../helpers/promtool.js';

const VERSION = (JSON.parse(readFileSync(path.join(PROJECT, 'package.json'), 'utf8')) as { version: string }).version;
const env = { ...process.env, NODE_OPTIONS: '' };
const REVISION = 'rpm-test-5d1e0b7';
let work: string;
let rpmFile: string;
let root: string;

const EXPECTED_FILES = [
  '/usr/bin/klp_exporter',
  '/usr/lib/klp_exporter',
  '/usr/lib/klp_exporter/klp_exporter.mjs',
  '/usr/lib/systemd/system/prometheus-klp_exporter-textfile.service',
  '/usr/lib/systemd/system/prometheus-klp_exporter-textfile.timer',
  '/usr/lib/systemd/system/prometheus-klp_exporter.service',
  '/usr/lib/sysusers.d/klp_exporter.conf',
  '/usr/lib/tmpfiles.d/klp_exporter.conf',
  '/usr/sbin/rcprometheus-klp_exporter',
  '/usr/share/fillup-templates/sysconfig.prometheus-klp_exporter',
  '/usr/share/fillup-templates/sysconfig.prometheus-klp_exporter-textfile',
  '/usr/share/klp_exporter',
  '/usr/share/klp_exporter/alerts',
  '/usr/share/klp_exporter/alerts/alertmanager.example.yml',
  '/usr/share/klp_exporter/alerts/klp.rules.yml',
  '/usr/share/klp_exporter/dashboards',
  '/usr/share/klp_exporter/dashboards/klp-fleet.json',
  '/usr/share/klp_exporter/dashboards/klp-host.json',
  '/usr/share/klp_exporter/dashboards/provisioning',
  '/usr/share/klp_exporter/dashboards/provisioning/dashboards',
  '/usr/share/klp_exporter/dashboards/provisioning/dashboards/klp.yml',
  '/usr/share/klp_exporter/dashboards/provisioning/datasources',
  '/usr/share/klp_exporter/dashboards/provisioning/datasources/klp-prometheus.yml',
];
/** Where SUSE puts the package's documentation (%{_docdir}/%{name}); the spec uses it on any build host. */
const DOC = '/usr/share/doc/packages/prometheus-klp_exporter';

const rpmq = (...args: string[]) => execFileSync('rpm', ['-qp', ...args, rpmFile], { encoding: 'utf8' });

beforeAll(() => {
  work = mkdtempSync(path.join(os.tmpdir(), 'klp-rpm-'));
  const bundle = path.join(work, 'klp_exporter.mjs');
  const b = spawnSync(process.execPath, ['scripts/bundle.mjs', `--outfile=${bundle}`], { cwd: PROJECT, encoding: 'utf8', timeout: 120_000, env: { ...env, KLP_REVISION: REVISION } });
  if (b.status !== 0) throw new Error(`bundle failed: ${b.stdout}${b.stderr}`);
  const r = spawnSync('bash', ['scripts/build-rpm.sh'], {
    cwd: PROJECT,
    encoding: 'utf8',
    timeout: 300_000,
    env: { ...env, KLP_BUNDLE: bundle, KLP_RPM_OUTDIR: path.join(work, 'out'), KLP_RPM_RELEASE: '0' },
  });
  if (r.status !== 0) throw new Error(`build-rpm.sh failed: ${r.stdout}${r.stderr}`);
  rpmFile = r.stdout.trim().split('\n').pop()!;
  root = path.join(work, 'root');
  mkdirSync(root);
  // rpm2archive (rpm >= 4.15) turns the payload into a tar stream, with modes and symlinks.
  execFileSync('sh', ['-c', 'rpm2archive - < "$1" | tar -xzf -', 'sh', rpmFile], { cwd: root });
}, 420_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the RPM', () => {
  it('is prometheus-klp_exporter-<version>-<release>.noarch.rpm with the expected files, docs and license, and no test files', () => {
    expect(path.basename(rpmFile)).toBe(`prometheus-klp_exporter-${VERSION}-0.noarch.rpm`);
    const files = rpmq('-l').trim().split('\n');
    const docs = files.filter((f) => f.startsWith('/usr/share/doc/') || f.startsWith('/usr/share/licenses/'));
    expect(files.filter((f) => !docs.includes(f))).toEqual(EXPECTED_FILES);
    expect(docs).toEqual(expect.arrayContaining([expect.stringMatching(/\/LICENSE$/), expect.stringMatching(/\/README\.md$/), expect.stringMatching(/\/runbook\.md$/)]));
    expect(files.filter((f) => /fixture|\/test\/|golden/.test(f))).toEqual([]);
    expect(rpmq('--qf', '%{LICENSE} %{ARCH}')).toBe('Apache-2.0 noarch');
  });

  it("ships README.md's documentation as its links expect it: docs/ beside README.md, every relative link of every installed Markdown file resolves", () => {
    const docs = rpmq('-l')
      .trim()
      .split('\n')
      .filter((f) => f.startsWith(`${DOC}/`))
      .map((f) => f.slice(DOC.length + 1));
    const tracked = (dir: string) =>
      readdirSync(path.join(PROJECT, dir))
        .filter((f) => f.endsWith('.md'))
        .map((f) => (dir === '.' ? f : `${dir}/${f}`));
    expect(docs).toEqual(expect.arrayContaining(['README.md', 'CHANGELOG.md', 'SECURITY.md', ...tracked('docs')]));
    const broken: string[] = [];
    for (const md of docs.filter((f) => f.endsWith('.md'))) {
      const text = readFileSync(path.join(root, DOC, md), 'utf8');
      for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = m[1]!.split('#')[0]!;
        if (target === '' || /^[a-z]+:/.test(target)) continue;
        if (!existsSync(path.join(root, DOC, path.dirname(md), target))) broken.push(`${md} → ${m[1]}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('rpmlint: no error but the ones OBS settles (signature, packager)', () => {
    const r = spawnSync('rpmlint', [rpmFile], { encoding: 'utf8', env });
    if ((r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') throw new Error('rpmlint not found: install the "rpmlint" package (scripts/install-test-deps.sh)');
    const errors = [...`${r.stdout}`.matchAll(/^\S+: E: (\S+)(.*)$/gm)].map((m) => `${m[1]}${m[2]}`);
    expect(errors.filter((e) => !/^(no-signature|no-packager-tag)\b/.test(e))).toEqual([]);
    expect(rpmq('--changelog')).toMatch(new RegExp(`^\\* .* - ${VERSION.replaceAll('.', '\\.')}-`));
  });

  it('the Uyuni example passes promtool check config exactly as installed (its rule_files resolve beside it)', () => {
    const example = path.join(root, DOC, 'examples/prometheus-uyuni.yml');
    expect(readFileSync(example, 'utf8')).toBe(readFileSync(path.join(PROJECT, 'examples/prometheus-uyuni.yml'), 'utf8'));
    const r = spawnSync(promtoolPath(), ['check', 'config', example], { encoding: 'utf8' });
    expect({ status: r.status, out: r.stdout + r.stderr }).toEqual({ status: 0, out: expect.stringContaining('SUCCESS: 1 rule files found') });
  });

  it("every alert's runbook_url, shipped and printed by the installed program, is the installed runbook's section", () => {
    const shipped = readFileSync(path.join(root, 'usr/share/klp_exporter/alerts/klp.rules.yml'), 'utf8');
    const printed = spawnSync(process.execPath, [path.join(root, 'usr/bin/klp_exporter'), 'rules', '--textfile'], { encoding: 'utf8', env }).stdout;
    for (const rules of [shipped, printed]) {
      const urls = [...rules.matchAll(/^\s+- alert: (\w+)$[\s\S]*?runbook_url: (\S+)$/gm)].map((m) => [m[1]!, m[2]!] as const);
      expect(urls.length).toBeGreaterThan(5);
      for (const [alert, url] of urls) {
        const u = new URL(url);
        expect([alert, u.protocol, u.pathname, u.hash]).toEqual([alert, 'file:', `${DOC}/docs/runbook.md`, `#${alert.toLowerCase()}`]);
        expect(readFileSync(path.join(root, u.pathname), 'utf8')).toMatch(new RegExp(`^## ${alert}$`, 'm'));
      }
    }
  });

  it('requires nodejs >= 20 and the node interpreter, recommends the live patch tools and lifecycle data', () => {
    const requires = rpmq('--requires').split('\n');
    expect(requires).toEqual(expect.arrayContaining(['nodejs >= 20', '/usr/bin/node']));
    expect(rpmq('--recommends').trim().split('\n').sort()).toEqual(['kernel-livepatch-tools', 'lifecycle-data-sle-module-live-patching']);
    expect(rpmq('--provides')).toContain(`prometheus(klp_exporter) = ${VERSION}`);
  });

  it('scriptlets: the user from the sysusers.d lines, sysconfig from the fillup templates, units handled on install/remove', () => {
    const scripts = rpmq('--scripts');
    const sysusers = readFileSync(path.join(PROJECT, 'packaging/systemd/klp_exporter.sysusers'), 'utf8')
      .split('\n')
      .find((l) => l.startsWith('u '))!;
    expect(scripts).toMatch(/preinstall scriptlet[\s\S]*systemd-sysusers[\s\S]*/);
    expect(scripts).toContain(sysusers);
    expect(scripts).toMatch(/postinstall scriptlet[\s\S]*fillup-templates\/sysconfig\.prometheus-klp_exporter \/etc\/sysconfig\/prometheus-klp_exporter/);
    expect(scripts).toMatch(/preuninstall scriptlet[\s\S]*disable --now prometheus-klp_exporter\.service/);
  });

  it('the installed units pass systemd-analyze verify', () => {
    const units = ['prometheus-klp_exporter.service', 'prometheus-klp_exporter-textfile.service', 'prometheus-klp_exporter-textfile.timer'];
    const unitDir = path.join(root, 'usr/lib/systemd/system');
    const r = spawnSync('systemd-analyze', ['verify', '--man=no', ...units.map((u) => `./${u}`)], {
      cwd: unitDir,
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...env, SYSTEMD_LOG_LEVEL: 'notice' },
    });
    if ((r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') throw new Error('systemd-analyze not found: install the "systemd" package');
    expect({ status: r.status, output: `${r.stdout}${r.stderr}` }).toEqual({ status: 0, output: '' });
  });

  it('/usr/bin/klp_exporter links to the program, which names /usr/bin/node as its interpreter', () => {
    expect(readlinkSync(path.join(root, 'usr/bin/klp_exporter'))).toBe('../lib/klp_exporter/klp_exporter.mjs');
    const program = path.join(root, 'usr/lib/klp_exporter/klp_exporter.mjs');
    expect(readFileSync(program, 'utf8').split('\n')[0]).toBe('#!/usr/bin/node');
    expect(statSync(program).mode & 0o777).toBe(0o755);
    const v = spawnSync(process.execPath, [path.join(root, 'usr/bin/klp_exporter'), '--version'], { encoding: 'utf8', env });
    expect(v.stdout).toMatch(new RegExp(`^klp_exporter, version ${VERSION.replaceAll('.', '\\.')} \\(revision: ${REVISION}\\)\\n`));
  });

  it("runs the installed unit's ExecStart on a fixture host and serves its golden scrape", async () => {
    const unit = readFileSync(path.join(root, 'usr/lib/systemd/system/prometheus-klp_exporter.service'), 'utf8');
    const exec = /^ExecStart=(\S+) (.*) \$ARGS$/m.exec(unit)!;
    expect(exec[1]).toBe('/usr/bin/node');
    // The unit's program path, moved into the unpacked root (node's own flags are not what is tested here).
    const args = exec[2]!.split(' ').map((a) => (a.startsWith('/usr/') ? path.join(root, a) : a));
    const script = args.pop()!;
    expect(existsSync(script)).toBe(true);
    const scenario = loadScenario('sles15sp6-patched');
    const p = await startProcess([...scenarioArgs(scenario)], await freePort(), 30_000, script);
    try {
      const body = normalizeScrape(await (await fetch(`${p.url}/metrics`)).text());
      const golden = readFileSync(path.join(PROJECT, 'test/golden/sles15sp6-patched.prom'), 'utf8');
      const info = /^klp_exporter_build_info\{.*\} 1$/m;
      expect(body.replace(info, golden.match(info)![0])).toBe(golden);
    } finally {
      await p.stop();
    }
  }, 60_000);

  it('the installed program writes the textfile the textfile unit asks for', () => {
    const out = path.join(work, 'textfile');
    mkdirSync(out);
    const r = spawnSync(process.execPath, [MAIN, `--testing.program=${path.join(root, 'usr/bin/klp_exporter')}`, ...scenarioArgs(loadScenario('sles15sp6-expired')), `--textfile.output=${path.join(out, 'klp.prom')}`], {
      encoding: 'utf8',
      timeout: 30_000,
      env,
    });
    expect(r.status).toBe(0);
    expect(readFileSync(path.join(out, 'klp.prom'), 'utf8')).toMatch(/^klp_patch_days_until_expiry -/m);
  });
});
