// The web configuration of a running server (issue 13.8): a renewed certificate is used without
// a restart, a reload changes users and TLS settings, a broken new file keeps the old one.
// Real TLS servers on 127.0.0.1 with certificates made by openssl at test time.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import bcrypt from 'bcryptjs';
import { copyFileSync, writeFileSync } from 'node:fs';
import type https from 'node:https';
import type net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { createLogger } from '../../src/log.js';
import { createWebServer, LiveWebConfig, loadWebConfig } from '../../src/web/index.js';
import { makeCerts, type TestCerts } from './certs.js';

let certs: TestCerts;
let server: https.Server;
let port: number;
let live: LiveWebConfig;
let file: string;
const logs: string[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  certs = makeCerts();
  const p = (f: string) => path.join(certs.dir, f);
  copyFileSync(certs.serverCrt, p('live.crt'));
  copyFileSync(certs.serverKey, p('live.key'));
  file = p('live-web.yml');
  writeFileSync(file, 'tls_server_config:\n  cert_file: live.crt\n  key_file: live.key\n');
  live = new LiveWebConfig(loadWebConfig(file));
  const log = createLogger('info', 'logfmt', (l) => void logs.push(l));
  server = createWebServer((_req, res) => res.end('ok\n'), live, { log }) as https.Server;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as net.AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  certs.cleanup();
});

/** The certificate the server presents, and the HTTP status of GET / with `auth`. */
function visit(auth?: string): Promise<{ cn: string; status: number }> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      const cn = String(s.getPeerCertificate().subject?.CN);
      const authz = auth ? `Authorization: Basic ${Buffer.from(auth).toString('base64')}\r\n` : '';
      s.write(`GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${authz}\r\n`);
      let got = '';
      s.on('data', (d) => (got += d.toString()));
      s.on('end', () => resolve({ cn, status: Number(/^HTTP\/1\.1 (\d+)/.exec(got)?.[1] ?? 0) }));
    });
    s.on('error', reject);
    s.setTimeout(5000, () => s.destroy(new Error('timeout')));
  });
}

describe('a running TLS server (13.8)', () => {
  it('uses a renewed certificate and key on new connections, without a restart', async () => {
    expect((await visit()).cn).toBe('localhost');
    copyFileSync(certs.rogueCrt, path.join(certs.dir, 'live.crt'));
    copyFileSync(certs.rogueKey, path.join(certs.dir, 'live.key'));
    await sleep(1100); // the files are checked at most once a second
    await visit(); // this connection triggers the check
    expect((await visit()).cn).toBe('rogue');
  });

  it('a half-renewed pair (key does not match) keeps the previous certificate and says so', async () => {
    copyFileSync(certs.serverCrt, path.join(certs.dir, 'live.crt')); // the key is still rogue's
    await sleep(1100);
    await visit();
    expect((await visit()).cn).toBe('rogue');
    expect(logs.join('')).toMatch(/cannot use the changed TLS certificate files; keeping the previous ones/);
    copyFileSync(certs.serverKey, path.join(certs.dir, 'live.key'));
    await sleep(1100);
    await visit();
    expect((await visit()).cn).toBe('localhost');
  });

  it('a reload adds basic auth to the running server; a broken file keeps the previous configuration', async () => {
    expect((await visit()).status).toBe(200);
    const hash = bcrypt.hashSync('pw', 4);
    writeFileSync(file, `tls_server_config:\n  cert_file: live.crt\n  key_file: live.key\nbasic_auth_users:\n  u: '${hash}'\n`);
    expect(live.reload(file)).toBe(true);
    expect(live.reload(file)).toBe(false); // unchanged: nothing to do
    expect((await visit()).status).toBe(401);
    expect((await visit('u:pw')).status).toBe(200);
    writeFileSync(file, 'tls_server_config:\n  cert_file: live.crt\n  key_file: missing.key\n');
    expect(() => live.reload(file)).toThrow(/key_file: cannot read/);
    expect((await visit('u:pw')).status).toBe(200);
    expect((await visit()).status).toBe(401);
  });

  it('switching from HTTPS to HTTP needs a restart: refused, previous configuration kept', async () => {
    writeFileSync(file, 'basic_auth_users: {}\n');
    expect(() => live.reload(file)).toThrow(/switching between HTTP and HTTPS needs a restart/);
    expect((await visit()).cn).toBe('localhost');
  });
});
