// One entry point that works however it is invoked: the packed npm tarball installed under a prefix and run
// through the bin link npm makes (a symlink, as /usr/bin/klp_exporter in a package), a relative symlink chain,
// a shell wrapper, `npm exec` in a checkout, and the plain path. Before the fix, a symlinked start printed
// nothing and exited 0 (main.ts compared its own URL with the link's path).

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isMainModule } from '../../src/main.js';
import { PROJECT } from '../helpers/fixture-host.js';

const VERSION_LINE = /^klp_exporter, version \d+\.\d+\.\d+\S* \(revision: \S+\)\n/;
const env = { ...process.env, NODE_OPTIONS: '' };
let work: string;
let prefix: string;

beforeAll(() => {
  work = mkdtempSync(path.join(os.tmpdir(), 'klp-entry-'));
  const pack = spawnSync('npm', ['pack', '--silent', '--pack-destination', work], { cwd: PROJECT, encoding: 'utf8', timeout: 120_000, env });
  if (pack.status !== 0) throw new Error(`npm pack failed: ${pack.stderr}`);
  const tarball = path.join(work, pack.stdout.trim().split('\n').pop()!);
  prefix = path.join(work, 'prefix');
  // Dependencies come from npm's cache (filled by `npm ci`); the registry is asked only for what is missing.
  const install = spawnSync('npm', ['install', '--global', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', '--omit=dev', tarball], {
    encoding: 'utf8',
    timeout: 300_000,
    env,
  });
  if (install.status !== 0) throw new Error(`npm install -g --prefix failed: ${install.stdout}${install.stderr}`);
}, 420_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

const run = (cmd: string, args: string[], cwd = work) => spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 30_000, env });

describe('the installed command', () => {
  it('npm pack ships the program, the rules and the dashboards, and no test files', () => {
    const pkg = path.join(prefix, 'lib/node_modules/klp_exporter');
    expect(readdirSync(pkg).sort()).toEqual(expect.arrayContaining(['alerts', 'dashboards', 'dist', 'package.json']));
    expect(readdirSync(pkg)).not.toContain('test');
    expect(readdirSync(pkg)).not.toContain('src');
  });

  it('P/bin/klp_exporter (a symlink made by npm) prints --version and --help', () => {
    const bin = path.join(prefix, 'bin/klp_exporter');
    expect(lstatSync(bin).isSymbolicLink()).toBe(true);
    const v = run(bin, ['--version']);
    expect([v.status, v.stderr]).toEqual([0, '']);
    expect(v.stdout).toMatch(VERSION_LINE);
    const h = run(bin, ['--help']);
    expect(h.status).toBe(0);
    expect(h.stdout).toContain('--web.listen-address');
  });

  it('through a chain of relative symlinks, a shell wrapper, and with a bad flag (exit 2, message)', () => {
    const links = path.join(work, 'links');
    mkdirSync(links, { recursive: true });
    symlinkSync(path.relative(links, path.join(prefix, 'bin/klp_exporter')), path.join(links, 'klp_exporter'));
    symlinkSync('klp_exporter', path.join(links, 'klp'));
    expect(run('./links/klp', ['--version']).stdout).toMatch(VERSION_LINE);
    const wrapper = path.join(work, 'wrapper.sh');
    writeFileSync(wrapper, `#!/bin/sh\nexec "${process.execPath}" "${path.join(prefix, 'lib/node_modules/klp_exporter/dist/main.js')}" "$@"\n`);
    chmodSync(wrapper, 0o755);
    expect(run(wrapper, ['--version']).stdout).toMatch(VERSION_LINE);
    const bad = run('./links/klp', ['--no-such-flag']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^klp_exporter: .*no-such-flag/);
  });

  it('the installed command prints the shipped rules (read from the package directory)', () => {
    const r = run(path.join(prefix, 'bin/klp_exporter'), ['rules', '--selector=job="node"']);
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toContain('klp_patch_days_until_expiry{job="node"}');
  });

  it('npm exec in a checkout runs it', () => {
    const r = spawnSync('npm', ['exec', '--offline', '--', 'klp_exporter', '--version'], { cwd: PROJECT, encoding: 'utf8', timeout: 60_000, env });
    expect([r.status, r.stdout]).toEqual([0, expect.stringMatching(VERSION_LINE)]);
  });

  it('isMainModule compares real paths, and is false for another module or no script', () => {
    const real = path.join(work, 'real.mjs');
    writeFileSync(real, '');
    const link = path.join(work, 'link.mjs');
    symlinkSync(real, link);
    const url = `file://${real}`;
    expect(isMainModule(url, link)).toBe(true);
    expect(isMainModule(url, path.relative(process.cwd(), real))).toBe(true);
    expect(isMainModule(url, path.join(work, 'other.mjs'))).toBe(false);
    expect(isMainModule(url, undefined)).toBe(false);
  });
});
