// The single-file build (`npm run bundle`): built into a temporary directory, then copied ALONE into another
// one (no node_modules, no package.json, no dist/ beside it) and run there as a user would: --version carries
// the build's version and revision, every golden scenario scrapes exactly as the tsc build does, basic auth
// accepts the right password (the bcrypt worker runs from the bundle) and refuses a wrong one, the rules and
// dashboards subcommands work from the embedded files, and no test fixture is inside.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import { transformSync } from 'esbuild';
import { startProcess } from '../helpers/exporter-process.js';
import { listScenarios, loadScenario, normalizeScrape, PROJECT, scenarioArgs } from '../helpers/fixture-host.js';
import { promtoolPath } from '../helpers/promtool.js';
import { freePort } from '../operations/process.js';

const REVISION = 'bundle-test-3f2a9c1';
const VERSION = (JSON.parse(readFileSync(path.join(PROJECT, 'package.json'), 'utf8')) as { version: string }).version;
const BUILD_INFO = /^klp_exporter_build_info\{.*\} 1$/m;

let work: string;
let bundle: string;
const run = (args: string[], cwd = path.dirname(bundle)) => spawnSync(process.execPath, [bundle, ...args], { cwd, encoding: 'utf8', timeout: 30_000, env: { ...process.env, NODE_OPTIONS: '' } });

beforeAll(() => {
  work = mkdtempSync(path.join(os.tmpdir(), 'klp-bundle-'));
  const built = path.join(work, 'out', 'klp_exporter.mjs');
  const r = spawnSync(process.execPath, ['scripts/bundle.mjs', `--outfile=${built}`], {
    cwd: PROJECT,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, KLP_REVISION: REVISION, NODE_OPTIONS: '' },
  });
  if (r.status !== 0) throw new Error(`npm run bundle failed: ${r.stdout}${r.stderr}`);
  const alone = path.join(work, 'alone');
  mkdirSync(alone);
  bundle = path.join(alone, 'klp_exporter.mjs');
  copyFileSync(built, bundle);
}, 180_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the single-file build, alone in a directory', () => {
  it('is one file, an ES module for node with a shebang, without test fixtures', () => {
    expect(readdirSync(path.dirname(bundle))).toEqual(['klp_exporter.mjs']);
    const text = readFileSync(bundle, 'utf8');
    expect(text.startsWith('#!/usr/bin/env node\n')).toBe(true);
    // Marks of the fake tool that replays the fixture hosts' commands: code, not comments (which the
    // minifier strips), each shown to survive the bundle's minification of the tool.
    const fakeTool = transformSync(readFileSync(path.join(PROJECT, 'test/fixtures/bin/fake-tool.mjs'), 'utf8'), { loader: 'js', format: 'esm', minifyWhitespace: true, minifySyntax: true }).code;
    for (const mark of ['[^A-Za-z0-9._+-]', ': no recording ']) {
      expect([mark, fakeTool.includes(mark)]).toEqual([mark, true]);
      expect([mark, text.includes(mark)]).toEqual([mark, false]);
    }
    // ... and of the fixture hosts' recorded outputs.
    const recorded = readFileSync(path.join(PROJECT, 'test/fixtures/hosts/sles15sp6-patched/cmd/rpm_-qa.out'), 'utf8').split('\n')[1]!;
    expect(text).not.toContain(recorded.split('\t')[0]);
    expect(statSync(bundle).size).toBeLessThan(4 * 1024 * 1024);
  });

  it('--version names the version and the revision it was built from; --help lists flags and subcommands', () => {
    const v = run(['--version']);
    expect([v.status, v.stderr]).toEqual([0, '']);
    expect(v.stdout).toBe(`klp_exporter, version ${VERSION} (revision: ${REVISION})\n  node: ${process.version}\n`);
    const h = run(['--help']);
    expect(h.status).toBe(0);
    expect(h.stdout).toContain('--web.listen-address');
    expect(h.stdout).toContain('klp_exporter rules');
  });

  it.each(listScenarios())(
    'golden scrape: %s',
    async (name) => {
      const p = await startProcess(scenarioArgs(loadScenario(name)), await freePort(), 30_000, bundle);
      try {
        const body = await (await fetch(`${p.url}/metrics`)).text();
        const info = body.match(BUILD_INFO)?.[0];
        expect(info).toContain(`version="${VERSION}"`);
        expect(info).toContain(`revision="${REVISION}"`);
        const golden = readFileSync(path.join(PROJECT, 'test/golden', `${name}.prom`), 'utf8');
        expect(normalizeScrape(body).replace(BUILD_INFO, golden.match(BUILD_INFO)![0])).toBe(golden);
      } finally {
        await p.stop();
      }
    },
    60_000,
  );

  it('basic auth: the right password gets the metrics, a wrong one 401 (bcrypt worker inside the bundle)', async () => {
    const web = path.join(work, 'web.yml');
    writeFileSync(web, `basic_auth_users:\n  prometheus: '${bcrypt.hashSync('s3cret pass', 4)}'\n`);
    const p = await startProcess([...scenarioArgs(loadScenario('sles15sp6-patched')), `--web.config.file=${web}`], await freePort(), 30_000, bundle);
    try {
      const auth = (pw: string) => ({ headers: { authorization: `Basic ${Buffer.from(`prometheus:${pw}`).toString('base64')}` } });
      expect((await fetch(`${p.url}/metrics`)).status).toBe(401);
      expect((await fetch(`${p.url}/metrics`, auth('wrong'))).status).toBe(401);
      const ok = await fetch(`${p.url}/metrics`, auth('s3cret pass'));
      expect(ok.status).toBe(200);
      expect(await ok.text()).toContain('klp_livepatch_state{state="patched"} 1');
    } finally {
      await p.stop();
    }
  }, 60_000);

  it('prints rules promtool accepts, for another selector, in textfile mode, with absolute runbook URLs', () => {
    const r = run(['rules', '--textfile', '--selector=job="node",env="prod"', '--runbook-url=https://wiki.example.com/klp/runbook']);
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toContain('klp_patch_days_until_expiry{job="node",env="prod"}');
    expect(r.stdout).not.toContain('job="klp"');
    expect(r.stdout).toContain('runbook_url: https://wiki.example.com/klp/runbook#klplivepatchexpired');
    const file = path.join(work, 'rules.yml');
    writeFileSync(file, r.stdout);
    const check = spawnSync(promtoolPath(), ['check', 'rules', file], { encoding: 'utf8' });
    expect([check.status, check.stderr]).toEqual([0, '']);
    const d = run(['dashboard', 'host', '--job=node']);
    expect(d.status).toBe(0);
    expect((JSON.parse(d.stdout) as { templating: { list: { name: string; current?: unknown }[] } }).templating.list.find((v) => v.name === 'job')?.current).toEqual({ text: 'node', value: 'node' });
  });

  it('demo without demo hosts: says how to get them, exit 2, no stack trace', () => {
    const r = run(['demo']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^klp_exporter demo: no demo hosts in this build\. .*not installed with the package.*--demo\.fixtures=/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
