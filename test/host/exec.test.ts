// The exec wrapper against real processes that fail, print garbage, print too much and hang.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CommandError, EXIT_GRACE_MS, requireSuccess, runCommand } from '../../src/host/exec.js';
import { createLogger } from '../../src/log.js';
import { resolveCommands } from '../../src/host/commands.js';

let dir: string;
const script = (name: string, body: string) => {
  const p = path.join(dir, name);
  writeFileSync(p, `#!/bin/sh\n${body}\n`);
  chmodSync(p, 0o755);
  return p;
};
const opts = { timeoutMs: 1000, maxOutputBytes: 64 * 1024 };

/** Processes whose command line contains `marker` (to prove nothing is left behind). */
function survivors(marker: string): string[] {
  const out = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.includes(marker) && !l.includes('ps -eo'));
}

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'klp-exec-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('runCommand', () => {
  it('returns stdout, stderr and the exit code, with a fixed environment', async () => {
    const p = script('ok', 'echo "out $LC_ALL $KLP_SECRET"; echo err >&2; exit 0');
    process.env.KLP_SECRET = 'leaked';
    const r = await runCommand(p, [], 'ok', opts);
    delete process.env.KLP_SECRET;
    expect(r).toMatchObject({ exitCode: 0, stdout: 'out C \n', stderr: 'err\n', timedOut: false, truncated: false, spawnError: undefined });
    expect(requireSuccess(r)).toBe(r);
  });

  it('passes arguments as they are, never through a shell', async () => {
    const p = script('args', 'for a in "$@"; do printf "[%s]" "$a"; done');
    const r = await runCommand(p, ['a b', '$(id)', ';rm -rf /', '*'], 'args', opts);
    expect(r.stdout).toBe('[a b][$(id)][;rm -rf /][*]');
  });

  it('reports a non-zero exit with the first line of stderr', async () => {
    const p = script('fail', 'echo "error: rpmdb open failed" >&2; echo more >&2; exit 3');
    const r = await runCommand(p, ['-qa'], 'rpm', opts);
    expect(r.exitCode).toBe(3);
    expect(() => requireSuccess(r)).toThrow(new CommandError(r));
    expect(() => requireSuccess(r)).toThrow('rpm -qa: exited with code 3: error: rpmdb open failed');
  });

  it('keeps garbage output for the parser to judge', async () => {
    const p = script('garbage', 'head -c 2000 /dev/urandom; exit 0');
    const r = await runCommand(p, [], 'garbage', opts);
    expect(r.exitCode).toBe(0);
    expect(r.stdout.length).toBeGreaterThan(0);
  });

  it('kills a command that prints too much and says so', async () => {
    const p = script('flood', 'yes flood-marker-output');
    const r = await runCommand(p, [], 'flood', { timeoutMs: 5000, maxOutputBytes: 10_000 });
    expect(r.truncated).toBe(true);
    expect(r.stdout.length).toBeLessThanOrEqual(10_000);
    expect(() => requireSuccess(r)).toThrow('flood: printed more output than allowed and was killed');
  });

  // The deadline itself, not the fallback: a command killed at its deadline has its pipes closed at
  // once and keeps what it printed; the fallback (the deadline plus a grace of a second) abandons
  // the pipes, returns no output, and fits any loose time limit.
  it('kills a hung command at the deadline', async () => {
    const p = script('hang', 'echo started; sleep 30 # klp-hang-marker');
    const r = await runCommand(p, [], 'hang', { timeoutMs: 300, maxOutputBytes: 1024 });
    expect(r).toMatchObject({ timedOut: true, signal: 'SIGKILL', stdout: 'started\n' });
    expect(r.durationMs).toBeGreaterThanOrEqual(300);
    expect(r.durationMs).toBeLessThan(300 + 700);
    expect(() => requireSuccess(r)).toThrow(/hang: timed out after \d+ ms and was killed/);
    expect(survivors('klp-hang-marker')).toEqual([]);
  });

  it('kills a command that ignores SIGTERM and its grandchild holding stdout open', async () => {
    const marker = `klp-grandchild-${process.pid}`;
    const p = script('stubborn', `trap "" TERM; (sleep 30; echo ${marker}) & echo started; sleep 30`);
    const r = await runCommand(p, [], 'stubborn', { timeoutMs: 300, maxOutputBytes: 1024 });
    expect(r).toMatchObject({ timedOut: true, signal: 'SIGKILL', stdout: 'started\n' });
    expect(r.durationMs).toBeLessThan(300 + 700);
    await new Promise((res) => setTimeout(res, 200));
    expect(survivors(marker)).toEqual([]);
    expect(survivors(`${dir}/stubborn`)).toEqual([]);
  });

  it('reports a command that cannot be started', async () => {
    const r = await runCommand(path.join(dir, 'does-not-exist'), [], 'nothing', opts);
    expect(r.spawnError).toBe('ENOENT');
    expect(() => requireSuccess(r)).toThrow('nothing: could not run: ENOENT');
  });

  it('stops when the caller aborts, at once and not at its deadline', async () => {
    const p = script('slow', 'echo started; sleep 30');
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const r = await runCommand(p, [], 'slow', { timeoutMs: 10_000, maxOutputBytes: 1024, signal: ac.signal });
    expect(r).toMatchObject({ timedOut: true, signal: 'SIGKILL', stdout: 'started\n' });
    expect(r.durationMs).toBeGreaterThanOrEqual(100);
    expect(r.durationMs).toBeLessThan(100 + 700);
  });

  it('an aborted signal stops the command before it runs long', async () => {
    const ac = new AbortController();
    ac.abort();
    const r = await runCommand(script('never', 'sleep 30'), [], 'never', { timeoutMs: 10_000, maxOutputBytes: 1024, signal: ac.signal });
    expect(r).toMatchObject({ timedOut: true, signal: 'SIGKILL' });
    expect(r.durationMs).toBeLessThan(700);
  });
});

describe('a command whose daemon keeps its output open (13.10)', () => {
  it('once the command exited, its complete output is used after a short grace, not reported as timed out', async () => {
    // The command prints everything and exits 0; a process it started in a new session keeps stdout open.
    const p = script('daemonizes', 'echo "complete output"; setsid sleep 7.1313 &\nexit 0');
    const lines: string[] = [];
    const log = createLogger('debug', 'logfmt', (l) => void lines.push(l));
    try {
      const r = await runCommand(p, [], 'daemonizes', { ...opts, timeoutMs: 5000, log });
      expect(r).toMatchObject({ exitCode: 0, stdout: 'complete output\n', timedOut: false, truncated: false, spawnError: undefined, outputPipeHeld: true });
      expect(r.durationMs).toBeLessThan(EXIT_GRACE_MS + 1500);
      expect(requireSuccess(r)).toBe(r);
      expect(lines.join('')).toMatch(/level=warn msg="command exited but a process it started kept its output open; using the output it printed" command=daemonizes/);
    } finally {
      for (const l of survivors('sleep 7.1313')) process.kill(Number(l.trim().split(/\s+/)[0]), 'SIGKILL');
    }
  });
  it('a command that exits normally is not flagged', async () => {
    const r = await runCommand(script('plain', 'echo hi'), [], 'plain', opts);
    expect(r.outputPipeHeld).toBeUndefined();
  });
});

describe('resolveCommands', () => {
  it('finds executables in the given directories only, first match wins', async () => {
    const a = mkdtempSync(path.join(dir, 'a-'));
    const b = mkdtempSync(path.join(dir, 'b-'));
    for (const [d, name, mode] of [
      [a, 'rpm', 0o755],
      [b, 'rpm', 0o755],
      [b, 'klp', 0o755],
      [a, 'zypper', 0o644],
    ] as const) {
      writeFileSync(path.join(d, name), '#!/bin/sh\n');
      chmodSync(path.join(d, name), mode);
    }
    expect(await resolveCommands(`${a}:${b}:relative/dir`, ['rpm', 'klp', 'kgr', 'zypper'])).toEqual({ rpm: path.join(a, 'rpm'), klp: path.join(b, 'klp') });
  });
});
