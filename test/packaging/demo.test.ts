// The demo from a checkout (`npm run demo` = `node dist/main.js demo`): serves a fixture host with its dates moved
// to today; a wrong scenario or a directory without demo hosts gets a message, not a stack trace. (The bundle
// without any demo host: test/packaging/bundle.test.ts.)

import { describe, expect, it } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MAIN } from '../helpers/exporter-process.js';
import { PROJECT } from '../helpers/fixture-host.js';
import { freePort, waitFor } from '../operations/process.js';

const run = (args: string[]) => spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 30_000 });

describe('klp_exporter demo', () => {
  it('serves the default fixture host from a checkout, its expiry moved to the future', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [MAIN, 'demo', `--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      const text = await waitFor('the demo', 20_000, async () => {
        if (child.exitCode !== null) throw new Error(`demo exited ${child.exitCode}: ${stderr}`);
        const r = await fetch(`http://127.0.0.1:${port}/metrics`);
        return r.ok ? r.text() : undefined;
      });
      expect(text).toContain('klp_livepatch_state{state="patched"} 1');
      const days = Number(/^klp_patch_days_until_expiry (\S+)$/m.exec(text)?.[1]);
      expect(days).toBeGreaterThan(0);
      expect(stderr).toMatch(/^demo: host sles15sp6-patched \(dates moved forward \d+ days\)/);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  });

  it.each([[['demo', '--help']], [['demo', 'sles15sp6-expired', '-h', '--web.listen-address=:1']]])('%j prints the demo help and does nothing else', (args) => {
    const demoDirs = () => readdirSync(os.tmpdir()).filter((n) => n.startsWith('klp-demo-')).length;
    const before = demoDirs();
    const r = run(args);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe(''); // no "demo: host ... in /tmp/..."
    expect(r.stdout).toMatch(/^usage: klp_exporter demo \[<scenario>\] \[--demo\.fixtures=<dir>\] \[<exporter flags>\.\.\.\]\n/);
    expect(r.stdout).toContain('--demo.fixtures=<dir>');
    expect(r.stdout).toContain('sles15sp6-patched');
    expect(r.stdout).not.toContain('--web.listen-address=<'); // not the general help
    expect(demoDirs()).toBe(before);
  });

  it('the general help names the demo flag', () => {
    expect(run(['--help']).stdout).toContain('klp_exporter demo [<scenario>] [--demo.fixtures=<dir>]');
  });

  it('takes --demo.fixtures with its value as the next argument too', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'klp-nodemo-'));
    try {
      const r = run(['demo', '--demo.fixtures', dir]);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(`no demo hosts in ${dir}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names the known scenarios when the one asked for does not exist', () => {
    const r = run(['demo', 'sles99']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^klp_exporter demo: no demo host "sles99" in .*; known: .*sles15sp6-patched/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('says how to get demo hosts when --demo.fixtures points to a directory without them', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'klp-nodemo-'));
    try {
      const r = run(['demo', `--demo.fixtures=${dir}`]);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(`no demo hosts in ${dir}`);
      expect(r.stderr).toContain('npm run demo');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--demo.fixtures pointing at the checkout works from anywhere', () => {
    const r = spawnSync(process.execPath, [MAIN, 'demo', 'no-such', `--demo.fixtures=${path.join(PROJECT, 'test/fixtures')}`], { encoding: 'utf8', cwd: os.tmpdir() });
    expect(r.stderr).toContain('known: ');
  });
});
