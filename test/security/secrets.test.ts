// No log line, metric or error quotes what a host file holds (issue 21 item 2, issue 23): a .repo
// file's URL carries the SCC / SUSE Manager access token, and any file the exporter reads may be a
// symbolic link to /etc/shadow or /proc/self/environ. Each position is tried on the real exporter
// process (its stderr and stdout, /metrics) or with --config.check, and every output is searched
// for any 8-character piece of the planted secrets.

import { afterAll, describe, expect, it } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../helpers/as-user.js';
import { MAIN } from '../helpers/exporter-process.js';
import { copyScenario, scenarioArgs, type Scenario } from '../helpers/fixture-host.js';

/** The access token of a .repo URL, a secret in the exporter's environment, and one as an environment variable's name. */
const TOKEN = 'AaBbCcDdEeFfGgHhIiJjKkLlMmNn0123456789';
const ENV_SECRET = 'ZzYyXxWwVvUuTtSsRrQq9876543210';
const ENV_NAME_SECRET = 'PpOoNnMmLlKkJjIiHh5432';
/** A shadow file with a password hash (the machine's own /etc/shadow is tried too). */
const FAKE_SHADOW = 'root:$6$s3cr3tSALTxyz$Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4cXV1eHF1dXg:20000:0:99999:7:::\ndaemon:*:20000:0:99999:7:::\n';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'klp-secrets-'));
const cleanups: Array<() => unknown> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  rmSync(tmp, { recursive: true, force: true });
});
const fakeShadow = path.join(tmp, 'shadow');
writeFileSync(fakeShadow, FAKE_SHADOW, { mode: 0o600 });

/** Every 8-character piece of the secrets: of the tokens, the fake hash line, and the first line of the real /etc/shadow. */
const pieces: string[] = (() => {
  const secrets = [TOKEN, ENV_SECRET, ENV_NAME_SECRET, FAKE_SHADOW.split('\n')[0]!, readFileSync('/etc/shadow', 'utf8').split('\n')[0]!];
  const out = new Set<string>();
  for (const s of secrets) for (let i = 0; i + 8 <= s.length; i++) out.add(s.slice(i, i + 8));
  return [...out];
})();

function expectNoSecret(output: string): void {
  const found = pieces.filter((p) => output.includes(p));
  expect(found).toEqual([]);
}

/** The exporter's environment: the test's, with a secret value and a variable whose name is a secret first. */
const ENV = { [ENV_NAME_SECRET]: 'x', KLP_TEST_SECRET: ENV_SECRET, ...process.env };

function host(name = 'sles15sp6-repo-update-available'): Scenario {
  const { scenario, base } = copyScenario(name);
  cleanups.push(() => rmSync(base, { recursive: true, force: true }));
  return scenario;
}

/** Replace `rel` under the host root by a symbolic link to `target`. */
function link(s: Scenario, rel: string, target: string): void {
  const p = path.join(s.root, rel);
  mkdirSync(path.dirname(p), { recursive: true });
  rmSync(p, { force: true });
  symlinkSync(target, p);
}

/** The exporter on `s` as a process with ENV, once /-/healthy answers: its URL, what it wrote so far, and a stop that waits for its last output. */
async function start(s: Scenario, extra: string[]): Promise<{ url: string; output: () => string; stop: () => Promise<void> }> {
  const port = await freePort();
  const child = spawn(process.execPath, [MAIN, `--web.listen-address=127.0.0.1:${port}`, ...scenarioArgs(s, extra)], { env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise((resolve) => child.once('close', resolve)); // after the last output
  cleanups.push(() => child.kill('SIGKILL'));
  const url = `http://127.0.0.1:${port}`;
  for (const until = Date.now() + 15_000; ;) {
    if (child.exitCode !== null || Date.now() > until) throw new Error(`exporter did not start: ${out}`);
    try {
      if ((await fetch(`${url}/-/healthy`)).ok) break;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    output: () => out,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Run the exporter on `s` as a process with ENV, scrape twice, stop; everything it wrote and served. */
async function run(s: Scenario, extra: string[] = []): Promise<string> {
  const e = await start(s, ['--log.level=debug', ...extra]);
  let served = '';
  for (let i = 0; i < 2; i++) served += await (await fetch(`${e.url}/metrics`)).text();
  await e.stop();
  return e.output() + served;
}

describe('repository definitions, zypp.conf and lifecycle data that hold or point at secrets', () => {
  it('a .repo URL token beside a line outside any section, .repo files linked to /etc/shadow and /proc/self/environ, the lifecycle data too', async () => {
    const s = host();
    const reposD = path.join(s.root, 'etc/zypp/repos.d');
    // The case: a line outside any section, then an ordinary SCC repository with its token.
    writeFileSync(path.join(reposD, 'a-token.repo'), `baseurl=https://updates.suse.com/SUSE/Updates/x86_64/update?${TOKEN}\n[x]\nbaseurl=https://updates.suse.com/?${TOKEN}\n`);
    writeFileSync(path.join(reposD, 'b-garbage.repo'), `[y]\nname=y\n${TOKEN}\n`);
    writeFileSync(path.join(reposD, 'c-header.repo'), `[${TOKEN}\n`);
    symlinkSync('/etc/shadow', path.join(reposD, 'd-shadow.repo'));
    symlinkSync(fakeShadow, path.join(reposD, 'e-fake-shadow.repo'));
    symlinkSync('/proc/self/environ', path.join(reposD, 'f-environ.repo'));
    link(s, 'var/lib/lifecycle/data/sle-module-live-patching.lifecycle', fakeShadow);
    link(s, 'var/lib/lifecycle/data/sle-live-patching.lifecycle', '/proc/self/environ');
    link(s, 'usr/lib/lifecycle/data/sle-module-live-patching.lifecycle', '/etc/shadow');
    writeFileSync(path.join(s.root, 'usr/lib/lifecycle/data/sle-live-patching.lifecycle'), `${TOKEN},*,${TOKEN}\n/${TOKEN}[/,*,2025-01-01\n`);
    const out = await run(s);
    // Each file is named, with the line where it could tell one.
    for (const f of ['a-token.repo: line 1: key baseurl: key outside of any section', 'b-garbage.repo: line 3', 'c-header.repo: line 1', 'd-shadow.repo: line 1', 'e-fake-shadow.repo: line 1', 'f-environ.repo: line 1']) {
      expect(out).toContain(f);
    }
    expect(out).toMatch(/sle-live-patching.lifecycle: line 1: invalid date/);
    expect(out).toContain('klp_scrape_collector_success{collector="repositories"} 0');
    expectNoSecret(out);
  }, 60_000);

  it.each([
    ['/etc/shadow', '/etc/shadow'],
    ['a shadow file with a hash', fakeShadow],
    ['/proc/self/environ', '/proc/self/environ'],
  ])(
    'zypp.conf linked to %s',
    async (_name, target) => {
      const s = host();
      link(s, 'etc/zypp/zypp.conf', target);
      const out = await run(s);
      expect(out).toMatch(/zypp\.conf: line 1: /);
      expectNoSecret(out);
    },
    30_000,
  );

  it('zypp.conf with a relative directory that is a token', async () => {
    const s = host();
    writeFileSync(path.join(s.root, 'etc/zypp/zypp.conf'), `[main]\nreposdir = ${TOKEN}\ncachedir=./${TOKEN}\n`);
    const out = await run(s);
    expect(out).toContain('zypp.conf: line 3: key cachedir: must be an absolute path');
    expectNoSecret(out);
  }, 30_000);

  it('kernel files linked to /etc/shadow and /proc/self/environ (os-release, osrelease, tainted, a live patch attribute)', async () => {
    for (const [rel, target] of [
      ['etc/os-release', fakeShadow],
      ['etc/os-release', '/proc/self/environ'],
      ['proc/sys/kernel/tainted', '/proc/self/environ'],
      ['sys/kernel/livepatch/livepatch_3_150600_13_9_1/enabled', fakeShadow],
    ] as const) {
      const s = host();
      link(s, rel, target);
      expectNoSecret(await run(s));
    }
    const s = host();
    link(s, 'proc/sys/kernel/osrelease', '/proc/self/environ');
    const out = await run(s);
    expect(out).toContain('not a kernel release');
    expectNoSecret(out);
  }, 60_000);
});

describe('config files that hold or point at secrets (--config.check, start-up and reload)', () => {
  const check = (args: string[]) => {
    const r = spawnSync(process.execPath, [MAIN, ...args, '--config.check'], { encoding: 'utf8', timeout: 15_000, env: ENV });
    return { status: r.status, out: r.stdout + r.stderr };
  };
  const files: Array<[string, string]> = [
    ['log level', `log:\n  level: ${TOKEN}\n`],
    ['duration', `exec:\n  timeout: ${TOKEN}\n`],
    ['number', `web:\n  max_requests: ${TOKEN}\n`],
    ['listen address', `web:\n  listen_address: "${TOKEN}"\n`],
    ['listen address twice', `web:\n  listen_address: ["127.0.0.1:${TOKEN.length}", "127.0.0.1:${TOKEN.length}"]\n`],
    ['telemetry path', `web:\n  telemetry_path: ${TOKEN}\n`],
  ];
  it.each(files)('--config.file with a bad %s: the error names the file, line and key only', (_name, text) => {
    const f = path.join(tmp, 'config.yml');
    writeFileSync(f, text);
    const r = check([`--config.file=${f}`]);
    expect(r.status).toBe(2);
    expect(r.out).toContain(f);
    expectNoSecret(r.out);
  });

  const webFiles: Array<[string, string]> = [
    ['client_auth_type', `tls_server_config:\n  cert_file: x\n  key_file: y\n  client_auth_type: ${TOKEN}\n`],
    ['min_version', `tls_server_config:\n  cert_file: x\n  key_file: y\n  min_version: ${TOKEN}\n`],
    ['cipher suite', `tls_server_config:\n  cert_file: x\n  key_file: y\n  cipher_suites: [${TOKEN}]\n`],
    ['curve', `tls_server_config:\n  cert_file: x\n  key_file: y\n  curve_preferences: [${TOKEN}]\n`],
    ['header value', `http_server_config:\n  headers:\n    X-Frame-Options: ${TOKEN}\n`],
    ['bcrypt hash', `basic_auth_users:\n  prometheus: ${TOKEN}\n`],
  ];
  it.each(webFiles)('--web.config.file with a bad %s: named, not repeated', (_name, text) => {
    const f = path.join(tmp, 'web.yml');
    writeFileSync(f, text);
    const r = check([`--web.config.file=${f}`]);
    expect(r.status).toBe(2);
    expect(r.out).toContain(f);
    expectNoSecret(r.out);
  });

  it.each([
    ['/etc/shadow', '/etc/shadow'],
    ['a shadow file with a hash', fakeShadow],
    ['/proc/self/environ', '/proc/self/environ'],
  ])('either config file linked to %s', (_name, target) => {
    for (const flag of ['--config.file', '--web.config.file']) {
      const f = path.join(tmp, `linked${flag}.yml`);
      rmSync(f, { force: true });
      symlinkSync(target, f);
      const r = check([`${flag}=${f}`]);
      expect(r.status).toBe(2);
      expect(r.out).toContain(f);
      expectNoSecret(r.out);
    }
  });

  it('a reload onto a config file linked to /proc/self/environ logs the failure without its content', async () => {
    const s = host('sles15sp6-patched');
    const f = path.join(tmp, 'reload.yml');
    const w = path.join(tmp, 'reload-web.yml');
    writeFileSync(f, 'log:\n  level: debug\n');
    writeFileSync(w, 'http_server_config:\n  headers:\n    X-Frame-Options: deny\n');
    const e = await start(s, ['--web.enable-lifecycle', `--config.file=${f}`, `--web.config.file=${w}`]);
    const url = e.url;
    let served = '';
    for (const [file, target] of [
      [f, '/proc/self/environ'],
      [f, fakeShadow],
      [w, '/proc/self/environ'],
      [w, fakeShadow],
    ] as const) {
      const keep = readFileSync(file, 'utf8');
      unlinkSync(file);
      symlinkSync(target, file);
      const r = await fetch(`${url}/-/reload`, { method: 'POST' });
      served += await r.text();
      expect(r.status).toBe(500);
      unlinkSync(file);
      writeFileSync(file, keep);
    }
    served += await (await fetch(`${url}/metrics`)).text();
    await e.stop();
    expect(e.output()).toContain('configuration reload failed');
    expectNoSecret(e.output() + served);
  }, 60_000);
});
