// Process lifecycle of `node dist/main.js`: SIGTERM/SIGINT shut down cleanly (in-flight scrapes finish, child
// commands are stopped), SIGHUP and POST /-/reload reload the config file and report failures in
// klp_exporter_config_last_reload_successful while the old config keeps serving.

import { afterEach, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadScenario, scenarioArgs } from '../helpers/fixture-host.js';
import { freePort, privateScenario, sample, spawnMain, waitFor, type Proc } from './process.js';

const RELOAD = 'klp_exporter_config_last_reload_successful';
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function startServing(args: string[]): Promise<{ proc: Proc; url: string }> {
  const port = await freePort();
  const proc = spawnMain([`--web.listen-address=127.0.0.1:${port}`, ...args]);
  cleanups.push(() => proc.kill());
  const url = `http://127.0.0.1:${port}`;
  await waitFor('/-/healthy', 10_000, async () => {
    if (proc.child.exitCode !== null) throw new Error(`exited ${proc.child.exitCode}: ${proc.stderr()}`);
    return (await fetch(`${url}/-/healthy`)).ok ? true : undefined;
  });
  return { proc, url };
}

const metrics = async (url: string) => {
  const res = await fetch(`${url}/metrics`);
  expect(res.status).toBe(200);
  return res.text();
};

function tmpDir(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'klp-lifecycle-'));
  cleanups.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

/** PIDs of running processes whose command line contains `needle` (the fake tools of a private fixture copy). */
function processesWith(needle: string): string[] {
  const ps = spawnSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  if (ps.error) throw new Error(`ps is needed for this test: ${ps.error.message}`);
  return ps.stdout
    .split('\n')
    .filter((l) => l.includes(needle))
    .map((l) => l.trim());
}

const patched = loadScenario('sles15sp6-patched');

describe('shutdown', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('%s: exit code 0 within a few seconds', async (signal) => {
    const { proc, url } = await startServing(scenarioArgs(patched));
    expect(await metrics(url)).toContain('klp_livepatch_state{state="patched"} 1');
    const t0 = Date.now();
    proc.child.kill(signal);
    const { code } = await proc.exited;
    expect(code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(proc.stderr()).toContain(`msg="shutting down" signal=${signal}`);
    await expect(fetch(`${url}/-/healthy`)).rejects.toThrow();
  });

  it('SIGTERM during a scrape that waits for a hung command: the scrape is answered, the command is killed, exit 0', async () => {
    const { scenario, dir } = privateScenario('hung-command');
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    // The scenario's rpm sleeps 60 s; give it a long deadline so only the shutdown can end it.
    const { proc, url } = await startServing(scenarioArgs(scenario, ['--exec.timeout=30s', '--scrape.timeout=20s']));
    await waitFor('the hung rpm to be running', 5000, async () => (processesWith(dir).length > 0 ? true : undefined));
    const scrape = fetch(`${url}/metrics`).then(async (r) => ({ status: r.status, text: await r.text() }));
    await new Promise((r) => setTimeout(r, 300));
    const t0 = Date.now();
    proc.child.kill('SIGTERM');
    const [{ code }, res] = await Promise.all([proc.exited, scrape]);
    expect(code).toBe(0);
    // well before main.ts's 5 s fallback: the answered scrape's keep-alive connection must not hold the exit
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(res.status).toBe(200);
    expect(res.text).toContain('klp_scrape_collector_success{collector="packages"} 0');
    expect(res.text).toContain('klp_livepatch_state{state="patched"} 1');
    await waitFor('no fake tool left running', 3000, async () => (processesWith(dir).length === 0 ? true : undefined));
  });
});

describe('reload', () => {
  it('SIGHUP with a bad config keeps serving the old one and reports the failure; a fixed file recovers', async () => {
    const dir = tmpDir();
    const cfg = path.join(dir, 'klp.yml');
    writeFileSync(cfg, 'collector:\n  lifecycle:\n    enabled: false\n');
    const { proc, url } = await startServing([...scenarioArgs(patched), '--config.file', cfg]);
    const before = await metrics(url);
    expect(sample(before, RELOAD)).toBe(1);
    expect(before).not.toContain('collector="lifecycle"');

    writeFileSync(cfg, 'collector:\n  lifecycle:\n    enabld: true\n');
    proc.child.kill('SIGHUP');
    const failed = await waitFor('reload failure', 5000, async () => {
      const t = await metrics(url);
      return sample(t, RELOAD) === 0 ? t : undefined;
    });
    expect(failed).toContain('klp_livepatch_state{state="patched"} 1');
    expect(failed).not.toContain('collector="lifecycle"'); // still the old config
    expect(proc.stderr()).toContain('configuration reload failed');
    expect(proc.child.exitCode).toBeNull();

    writeFileSync(cfg, 'collector:\n  lifecycle:\n    enabled: true\n');
    proc.child.kill('SIGHUP');
    // A scrape that began before the reload may still render the old collectors next to the new flag, so wait
    // for a scrape that shows both.
    await waitFor('reload success with the lifecycle collector on', 5000, async () => {
      const t = await metrics(url);
      return sample(t, RELOAD) === 1 && sample(t, 'klp_scrape_collector_success{collector="lifecycle"}') === 1 ? t : undefined;
    });
    expect(proc.stderr()).toContain('msg="configuration reloaded"');
  });

  it('POST /-/reload only with --web.enable-lifecycle; a bad file gives 500 and the metric 0', async () => {
    const dir = tmpDir();
    const cfg = path.join(dir, 'klp.yml');
    writeFileSync(cfg, 'exec:\n  timeout: 2s\n');
    const off = await startServing([...scenarioArgs(patched), '--config.file', cfg]);
    expect((await fetch(`${off.url}/-/reload`, { method: 'POST' })).status).toBe(404);

    const { url, proc } = await startServing([...scenarioArgs(patched), '--config.file', cfg, '--web.enable-lifecycle']);
    const ok = await fetch(`${url}/-/reload`, { method: 'POST' });
    expect([ok.status, await ok.text()]).toEqual([200, 'Reloaded\n']);
    writeFileSync(cfg, 'exec:\n  timeout: soon\n');
    const bad = await fetch(`${url}/-/reload`, { method: 'POST' });
    expect(bad.status).toBe(500);
    // The answer names no file (issue 6: errors never echo internal paths); the log has the reason.
    expect(await bad.text()).toBe('Failed to reload config; see the exporter log.\n');
    expect(proc.stderr()).toMatch(new RegExp(`configuration reload failed.*${cfg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+: .*exec\\.timeout`));
    expect(sample(await metrics(url), RELOAD)).toBe(0);
    expect((await fetch(`${url}/-/reload`)).status).toBe(405);
  });

  it('a reloaded config with a host path that does not exist is refused like any invalid config', async () => {
    const dir = tmpDir();
    const cfg = path.join(dir, 'klp.yml');
    writeFileSync(cfg, 'exec:\n  timeout: 2s\n');
    const { url, proc } = await startServing([...scenarioArgs(patched), '--config.file', cfg, '--web.enable-lifecycle']);
    writeFileSync(cfg, `exec:\n  timeout: 2s\npath:\n  procfs: ${dir}/proc\n`);
    expect((await fetch(`${url}/-/reload`, { method: 'POST' })).status).toBe(500);
    expect(proc.stderr()).toContain(`configuration reload failed; keeping the previous configuration" err="${cfg}:4: path.procfs: ${dir}/proc does not exist"`);
    const text = await metrics(url);
    expect(sample(text, RELOAD)).toBe(0);
    expect(text).toContain('klp_scrape_collector_success{collector="taint"} 1'); // the previous procfs, still read
  });
});
