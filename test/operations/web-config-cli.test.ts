// `--web.config.file` wired into `node dist/main.js`: TLS + basic auth on a fixture host, and start-up errors.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import { MAIN } from '../helpers/exporter-process.js';
import { loadScenario, scenarioArgs } from '../helpers/fixture-host.js';
import { makeCerts, type TestCerts } from '../web/certs.js';
import { freePort, httpsGet, spawnMain, waitFor, type Proc } from './process.js';

const scenario = loadScenario('sles15sp6-patched');
const run = (args: string[]) => spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 20_000 });

let certs: TestCerts;
beforeAll(() => {
  certs = makeCerts();
});
afterAll(() => certs?.cleanup());

describe('serving with --web.config.file', () => {
  let proc: Proc;
  let base: string;
  let ca: Buffer;
  const password = 'scrape-me';

  beforeAll(async () => {
    ca = readFileSync(certs.caCrt);
    const web = path.join(certs.dir, 'web.yml');
    writeFileSync(
      web,
      `tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\nbasic_auth_users:\n  prometheus: ${bcrypt.hashSync(password, 4)}\nhttp_server_config:\n  headers:\n    Strict-Transport-Security: max-age=600\n`,
    );
    const port = await freePort();
    base = `https://127.0.0.1:${port}`;
    proc = spawnMain([`--web.listen-address=127.0.0.1:${port}`, ...scenarioArgs(scenario), `--web.config.file=${web}`]);
    await waitFor('https /-/healthy', 10_000, async () => {
      if (proc.child.exitCode !== null) throw new Error(`exited ${proc.child.exitCode}: ${proc.stderr()}`);
      return (await httpsGet(`${base}/-/healthy`, { ca })).status === 200 ? true : undefined;
    });
  });
  afterAll(async () => {
    if (!proc) return;
    proc.child.kill('SIGTERM');
    const { code } = await proc.exited;
    expect(code).toBe(0);
  });

  it('/metrics needs the password, over TLS', async () => {
    const none = await httpsGet(`${base}/metrics`, { ca });
    expect([none.status, none.headers['www-authenticate']]).toEqual([401, 'Basic realm="klp_exporter"']);
    expect((await httpsGet(`${base}/metrics`, { ca, auth: 'prometheus:wrong' })).status).toBe(401);
    const ok = await httpsGet(`${base}/metrics`, { ca, auth: `prometheus:${password}` });
    expect(ok.status).toBe(200);
    expect(ok.body).toContain('klp_livepatch_state{state="patched"} 1');
    expect(ok.headers['strict-transport-security']).toBe('max-age=600');
  });

  it('the landing page is protected too; /-/healthy is not', async () => {
    expect((await httpsGet(`${base}/`, { ca })).status).toBe(401);
    expect((await httpsGet(`${base}/`, { ca, auth: `prometheus:${password}` })).status).toBe(200);
    const healthy = await httpsGet(`${base}/-/healthy`, { ca });
    expect([healthy.status, healthy.body]).toEqual([200, 'Healthy\n']);
  });

  it('plain HTTP on the same port gets 400 "Client sent an HTTP request to an HTTPS server."', async () => {
    const res = await fetch(base.replace('https:', 'http:') + '/-/healthy');
    expect({ status: res.status, body: await res.text() }).toEqual({ status: 400, body: 'Client sent an HTTP request to an HTTPS server.\n' });
  });

  it('SIGHUP (config reload) leaves TLS and auth in place', async () => {
    proc.child.kill('SIGHUP');
    await waitFor('reload logged', 5000, async () => (proc.stderr().includes('configuration reloaded') ? true : undefined));
    expect((await httpsGet(`${base}/metrics`, { ca })).status).toBe(401);
    expect((await httpsGet(`${base}/metrics`, { ca, auth: `prometheus:${password}` })).status).toBe(200);
  });
});

describe('bad web config files stop the start-up with a message', () => {
  const cases: [string, string, (f: string) => string][] = [
    ['unknown key', 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_auth: RequireAndVerifyClientCert\n', (f) => `web config ${f}:4: tls_server_config.client_auth: unknown key`],
    ['missing key file', 'tls_server_config:\n  cert_file: server.crt\n  key_file: gone.key\n', (f) => `web config ${f}: tls_server_config.key_file: cannot read ${path.join(path.dirname(f), 'gone.key')}: no such file`],
    ['expensive hash', "basic_auth_users:\n  p: '$2b$16$hxzfO.Im2ls7gzKgozaN2OieXswfgWbvgFIrmzYWPfwuY0083G59W'\n", (f) => `web config ${f}:2: basic_auth_users.p: bcrypt cost 16 is above the maximum of 14`],
  ];

  it.each(cases)('%s: --config.check exits 2', (_name, text, message) => {
    const f = path.join(certs.dir, `bad-${_name.replace(/ /g, '-')}.yml`);
    writeFileSync(f, text);
    const r = run([...scenarioArgs(scenario), `--web.config.file=${f}`, '--config.check']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`klp_exporter: ${message(f)}`);
  });

  it.each(cases)('%s: serving does not start, with the same message', async (_name, text, message) => {
    const f = path.join(certs.dir, `bad-serving-${_name.replace(/ /g, '-')}.yml`);
    writeFileSync(f, text);
    const r = spawnSync(process.execPath, [MAIN, ...scenarioArgs(scenario), `--web.listen-address=127.0.0.1:${await freePort()}`, `--web.config.file=${f}`], { encoding: 'utf8', timeout: 10_000 });
    // A server that started would still run at the timeout (status null), and would have logged "listening".
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`klp_exporter: ${message(f)}`);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('a missing web config file: serving does not start', async () => {
    const f = path.join(certs.dir, 'absent.yml');
    const r = run([...scenarioArgs(scenario), '--web.listen-address=127.0.0.1:0', `--web.config.file=${f}`]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`klp_exporter: web config ${f}: cannot read file: no such file\n`);
  });

  it('a good web config file passes --config.check', () => {
    const f = path.join(certs.dir, 'good.yml');
    writeFileSync(f, 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n');
    const r = run([...scenarioArgs(scenario), `--web.config.file=${f}`, '--config.check']);
    expect([r.status, r.stdout]).toEqual([0, 'configuration OK\n']);
  });
});
