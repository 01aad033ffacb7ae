// MemoryDenyWriteExecute=yes in the systemd units (issue 21, item 14): with the units' node flags
// (--lite-mode: no JIT) V8 never needs memory that is writable and executable, so the exporter,
// its bcrypt worker and the commands it runs work under the rule. No systemd runs here, so the
// rule is set by the kernel's own switch for it, prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN)
// (Linux 6.3+; test/helpers/mdwe-exec.py), which, like the unit's setting, holds for every
// process the exporter starts. The same run without --lite-mode must die (V8's JIT needs W+X):
// that shows the rule is in force. A kernel without PR_SET_MDWE fails these tests with a message
// saying so: passing them there would claim a check that did not happen. The textfile run also
// gets a network namespace of its own (unshare --net), as the textfile service has no network.
//
// Commands on the host: the real rpm on an empty database, and klp as a shell script replaying the
// fixture's recordings (SUSE's klp is a shell script; the fixtures' fake tool is a node script with
// V8's JIT, which the rule stops, as it would stop it in the unit).

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import { DIST_MAIN, MAIN } from '../helpers/exporter-process.js';
import { copyScenario, PROJECT, scenarioArgs, type Scenario } from '../helpers/fixture-host.js';
import { which } from '../helpers/rpm-repo.js';
import { freePort, sample, waitFor } from './process.js';

const HELPER = path.join(PROJECT, 'test/helpers/mdwe-exec.py');
const UNIT = 'packaging/systemd/prometheus-klp_exporter.service';
/** The node flags of the unit's ExecStart, between the node binary and the program. */
const execStart = /^ExecStart=(.*)$/m.exec(readFileSync(path.join(PROJECT, UNIT), 'utf8'))![1]!.split(/\s+/);
const UNIT_FLAGS = execStart.slice(
  1,
  execStart.findIndex((a) => a.endsWith('klp_exporter.mjs')),
);

let python: string;
let base: string;
let scenario: Scenario;

/**
 * Run the exporter (dist/main.js through the test launcher) under the rule, with these node flags;
 * `prefix`: a command that runs it (unshare).
 */
function underMdwe(nodeFlags: readonly string[], args: readonly string[], prefix: readonly string[] = []) {
  const argv = [...prefix, python, HELPER, process.execPath, ...nodeFlags, MAIN, ...args];
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.resume();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return { child, exited, stderr: () => stderr };
}

beforeAll(() => {
  python = which('python3', 'python3');
  if (!existsSync(DIST_MAIN)) throw new Error('dist/main.js is missing: run `npm run build` first (npm test does)');
  const probe = spawnSync(python, [HELPER, '/bin/true'], { encoding: 'utf8', timeout: 10_000 });
  if (probe.status !== 0) {
    throw new Error(`cannot set the memory-deny-write-execute rule on this machine, so MemoryDenyWriteExecute=yes in the units is not verified here: ${probe.stderr.trim() || `exit ${probe.status}`}`);
  }
  const copy = copyScenario('sles15sp6-patched');
  base = copy.base;
  scenario = copy.scenario;
  // The real rpm on an empty database in the host's root, instead of the recorded rpm -qa.
  const rpm = which('rpm', 'rpm');
  unlinkSync(path.join(scenario.root, 'usr/lib/sysimage/rpm/Packages.db'));
  execFileSync(rpm, ['--root', scenario.root, '--dbpath', '/usr/lib/sysimage/rpm', '--initdb']);
  unlinkSync(path.join(scenario.bin, 'rpm'));
  writeFileSync(path.join(scenario.bin, 'rpm'), `#!/bin/sh\nexec '${rpm}' "$@"\n`);
  // klp as a shell script; no zypper (the repositories collector reads the cached metadata).
  const cmd = path.join(scenario.dir, 'cmd');
  unlinkSync(path.join(scenario.bin, 'klp'));
  writeFileSync(path.join(scenario.bin, 'klp'), `#!/bin/sh\ncase "$*" in\n  status) exec cat '${cmd}/klp_status.out' ;;\n  '-v patches') exec cat '${cmd}/klp_-v_patches.out' ;;\nesac\nexit 1\n`);
  for (const tool of ['rpm', 'klp']) chmodSync(path.join(scenario.bin, tool), 0o755);
  unlinkSync(path.join(scenario.bin, 'zypper'));
}, 60_000);
afterAll(() => {
  if (base) rmSync(base, { recursive: true, force: true });
});

describe('MemoryDenyWriteExecute=yes (prctl PR_SET_MDWE) with the units node flags', () => {
  it('the unit runs node with --lite-mode (no JIT)', () => {
    expect(UNIT_FLAGS).toContain('--lite-mode');
  });

  it('serves scrapes on a fixture host, runs rpm and klp, and checks a password in its bcrypt worker', async () => {
    const port = await freePort();
    const web = path.join(base, 'web.yml');
    writeFileSync(web, `basic_auth_users:\n  prometheus: '${bcrypt.hashSync('under mdwe', 4)}'\n`);
    const p = underMdwe(UNIT_FLAGS, [...scenarioArgs(scenario), `--web.listen-address=127.0.0.1:${port}`, `--web.config.file=${web}`]);
    try {
      const url = `http://127.0.0.1:${port}`;
      await waitFor('/-/healthy under the rule', 15_000, async () => {
        if (p.child.exitCode !== null || p.child.signalCode !== null) throw new Error(`exited (${p.child.exitCode ?? p.child.signalCode}): ${p.stderr()}`);
        return (await fetch(`${url}/-/healthy`)).ok ? true : undefined;
      });
      const auth = (pw: string) => ({ headers: { authorization: `Basic ${Buffer.from(`prometheus:${pw}`).toString('base64')}` } });
      expect((await fetch(`${url}/metrics`, auth('wrong'))).status).toBe(401);
      for (let i = 0; i < 3; i++) {
        const res = await fetch(`${url}/metrics`, auth('under mdwe'));
        expect(res.status).toBe(200);
        const text = await res.text();
        for (const collector of ['kernel', 'livepatch', 'taint', 'packages', 'klp', 'lifecycle']) {
          expect([collector, sample(text, `klp_scrape_collector_success{collector="${collector}"}`)]).toEqual([collector, 1]);
        }
        expect(sample(text, 'klp_livepatch_state{state="patched"}')).toBe(1);
        expect(sample(text, 'klp_packages_installed')).toBe(0); // the real rpm answered, on its empty database
        expect(sample(text, 'klp_patch_cves')).toBe(3); // klp -v patches answered: its three CVEs
      }
      expect(p.child.exitCode).toBeNull();
      // Nothing failed; the one warning is the wrong password.
      expect(
        p
          .stderr()
          .split('\n')
          .filter((l) => /level=(warn|error)/.test(l) && !l.includes('msg="failed login"')),
      ).toEqual([]);
    } finally {
      p.child.kill('SIGTERM');
      expect(await p.exited).toEqual({ code: 0, signal: null });
    }
  }, 60_000);

  it('writes the textfile without any network, as the textfile service (PrivateNetwork=yes, IPAddressDeny=any)', async () => {
    // A network namespace of its own: a loopback that is down, no address, no route.
    const unshare = [which('unshare', 'util-linux'), ...(process.getuid?.() === 0 ? [] : ['--map-root-user']), '--net', '--'];
    const netns = spawnSync(unshare[0]!, [...unshare.slice(1), 'true'], { encoding: 'utf8', timeout: 10_000 });
    if (netns.status !== 0) throw new Error(`cannot create a network namespace here (${netns.stderr.trim()}): the textfile run without network is not verified`);
    const probe = spawnSync(unshare[0]!, [...unshare.slice(1), process.execPath, '-e', "require('net').connect(9, '127.0.0.1').on('error', (e) => console.log(e.code))"], { encoding: 'utf8', timeout: 10_000 });
    expect(probe.stdout).toBe('ENETUNREACH\n');
    const out = path.join(base, 'klp.prom');
    const p = underMdwe(UNIT_FLAGS, [...scenarioArgs(scenario), `--textfile.output=${out}`], unshare);
    expect([await p.exited, p.stderr()]).toEqual([{ code: 0, signal: null }, expect.stringContaining('msg="wrote textfile"')]);
    expect(sample(readFileSync(out, 'utf8'), 'klp_livepatch_state{state="patched"}')).toBe(1);
  }, 60_000);

  it('without --lite-mode, V8 dies at start-up: the rule is in force (sanity check of the check)', async () => {
    const port = await freePort();
    const p = underMdwe(
      UNIT_FLAGS.filter((f) => f !== '--lite-mode'),
      [...scenarioArgs(scenario), `--web.listen-address=127.0.0.1:${port}`],
    );
    const timer = setTimeout(() => p.child.kill('SIGKILL'), 20_000);
    const end = await p.exited;
    clearTimeout(timer);
    // V8 aborts when it cannot make its code space executable (SIGTRAP), before it listens.
    expect(end).toEqual({ code: null, signal: 'SIGTRAP' });
    expect(p.stderr()).toContain('SetPermissions');
    expect(p.stderr()).not.toContain('msg=listening');
  }, 60_000);
});
