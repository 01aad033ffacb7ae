import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadWebConfig, parseWebConfig, WebConfigError, type WebConfig } from '../../src/web/index.js';
import { makeCerts, type TestCerts } from './certs.js';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/web');
const fixture = (name: string) => path.join(FIXTURES, name);
const parseFixture = (name: string): WebConfig => parseWebConfig(readFileSync(fixture(name), 'utf8'), { file: fixture(name), dir: FIXTURES });

const BAD: [string, string][] = [
  ['unknown_top_key', 'tls_config: unknown key'],
  ['unknown_tls_key', 'tls_server_config.certfile: unknown key'],
  ['http_unknown_key', 'http_server_config.http3: unknown key'],
  ['top_not_map', 'must be a YAML mapping of settings'],
  ['client_auth_invalid', 'tls_server_config.client_auth_type: invalid value (expected one of NoClientCert, RequestClientCert, RequireAnyClientCert, VerifyClientCertIfGiven, RequireAndVerifyClientCert)'],
  ['min_version_invalid', 'tls_server_config.min_version: invalid value (expected one of TLS10, TLS11, TLS12, TLS13)'],
  ['min_above_max', 'tls_server_config.min_version: TLS13 is higher than max_version TLS12'],
  ['cipher_unknown', 'tls_server_config.cipher_suites[1]: unknown cipher suite'],
  ['curve_unknown', 'tls_server_config.curve_preferences[1]: unknown curve (expected one of CurveP256, CurveP384, CurveP521, X25519)'],
  ['missing_key', 'tls_server_config: missing one of key_file or key'],
  ['missing_cert', 'tls_server_config: missing one of cert_file or cert'],
  ['empty_cert_path', 'tls_server_config.cert_file: must not be empty'],
  ['ca_without_client_auth', 'tls_server_config: client CAs are configured but client_auth_type is not set; set client_auth_type, e.g. RequireAndVerifyClientCert'],
  ['verify_without_ca', 'tls_server_config.client_auth_type: RequireAndVerifyClientCert needs client_ca_file (or client_ca) to verify client certificates against'],
  ['client_allowed_sans', 'tls_server_config.client_allowed_sans: is an exporter-toolkit setting that klp_exporter does not support'],
  ['rate_limit', 'rate_limit: is an exporter-toolkit setting that klp_exporter does not support'],
  ['prefer_not_bool', 'tls_server_config.prefer_server_cipher_suites: must be true or false'],
  ['users_not_map', 'basic_auth_users: must be a mapping'],
  ['user_hash_not_bcrypt', 'basic_auth_users.prometheus: is not a bcrypt hash (expected $2a$, $2b$ or $2y$ followed by cost and 53 characters)'],
  ['user_hash_number', 'basic_auth_users.prometheus: must be a string'],
  [
    'user_hash_cost_too_high',
    'basic_auth_users.prometheus: bcrypt cost 15 is above the maximum of 14 that klp_exporter accepts (expensive hashes let unauthenticated requests exhaust the CPU); re-hash the password with a lower cost, e.g. 10',
  ],
  ['header_not_allowed', 'http_server_config.headers.Server: header can not be configured (allowed: Strict-Transport-Security, X-Content-Type-Options, X-Frame-Options, X-XSS-Protection, Content-Security-Policy)'],
  ['header_bad_value', 'http_server_config.headers.X-Frame-Options: invalid value (expected one of deny, sameorigin)'],
  ['invalid_yaml', 'invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ] at line 2, column 14'],
  ['duplicate_key', 'invalid YAML: Map keys must be unique at line 3, column 3'],
];

describe('parseWebConfig: bad files', () => {
  it('has a table entry for every *.bad.yml fixture', () => {
    const files = readdirSync(FIXTURES)
      .filter((f) => f.endsWith('.bad.yml'))
      .map((f) => f.replace(/\.bad\.yml$/, ''));
    expect(files.sort()).toEqual(BAD.map(([n]) => n).sort());
  });

  it.each(BAD)('%s.bad.yml', (name, message) => {
    const file = fixture(`${name}.bad.yml`);
    let caught: unknown;
    try {
      parseFixture(`${name}.bad.yml`);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(WebConfigError);
    // Every message names the file and, unless the YAML itself is broken (then the position is in the message), the line.
    const line = (caught as WebConfigError).line;
    if (message.startsWith('invalid YAML')) expect(line).toBeUndefined();
    else expect(line).toBeGreaterThan(0);
    expect((caught as Error).message).toBe(`web config ${file}${line ? `:${line}` : ''}: ${message}`);
    expect((caught as WebConfigError).file).toBe(file);
  });
});

describe('parseWebConfig: the line of a problem', () => {
  // The key path in the message cannot find a node whose key has a dot in it (a user name, a header).
  it.each([
    ['a user whose name has a dot', 'basic_auth_users:\n  alice: $2y$10$abcdefghijklmnopqrstuuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ\n  john.doe: not-a-hash\n', 3],
    ['a user whose hash is not a string', 'basic_auth_users:\n  john.doe:\n    - x\n', 3],
    ['a header value', 'http_server_config:\n  headers:\n    X-Frame-Options: maybe\n', 3],
  ])('%s: the line of the value', (_what, text, line) => {
    let caught: unknown;
    try {
      parseWebConfig(text, { file: 'web.yml', dir: '/etc/klp_exporter' });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(WebConfigError);
    expect((caught as WebConfigError).line).toBe(line);
  });
});

describe('parseWebConfig: good files', () => {
  it('empty file: plain HTTP, no users, no headers', () => {
    const c = parseFixture('empty.good.yml');
    expect(c.tls).toBeUndefined();
    expect(c.basicAuthUsers.size).toBe(0);
    expect(c.headers).toEqual({});
  });

  it('relative paths resolve against the config file directory, defaults filled in', () => {
    const c = parseFixture('tls.good.yml');
    expect(c.tls).toEqual({
      certFile: path.join(FIXTURES, 'certs/server.crt'),
      keyFile: path.join(FIXTURES, 'certs/server.key'),
      clientAuthType: 'NoClientCert',
      minVersion: 'TLS12',
      maxVersion: 'TLS13',
      ciphers: [],
      curves: [],
      preferServerCipherSuites: true,
    });
    // the same text against another directory
    const other = parseWebConfig(readFileSync(fixture('tls.good.yml'), 'utf8'), { file: 'x.yml', dir: '/etc/klp' });
    expect(other.tls?.certFile).toBe('/etc/klp/certs/server.crt');
  });

  it('every TLS option maps to its Node/OpenSSL value', () => {
    const c = parseFixture('tls_all.good.yml');
    expect(c.tls).toEqual({
      certFile: '/etc/klp_exporter/server.crt',
      keyFile: '/etc/klp_exporter/server.key',
      clientAuthType: 'RequireAndVerifyClientCert',
      clientCaFile: path.resolve(FIXTURES, '../ca/ca.crt'),
      minVersion: 'TLS13',
      maxVersion: 'TLS13',
      // the TLS 1.3 suite is accepted and dropped, as Go does
      ciphers: ['ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-CHACHA20-POLY1305'],
      curves: ['X25519', 'prime256v1'],
      preferServerCipherSuites: false,
    });
    expect(c.headers).toEqual({
      'X-Frame-Options': 'deny',
      'X-Content-Type-Options': 'nosniff',
      'Strict-Transport-Security': 'max-age=31536000',
    });
  });

  it('basic_auth_users keeps every user and hash', () => {
    const c = parseFixture('basic_auth.good.yml');
    expect([...c.basicAuthUsers.keys()]).toEqual(['prometheus', 'user with space']);
    expect(c.basicAuthUsers.get('user with space')).toMatch(/^\$2y\$10\$/);
    expect(c.tls).toBeUndefined();
  });

  it('RequireClientCert is the old name of RequireAnyClientCert', () => {
    expect(parseFixture('legacy_require_client_cert.good.yml').tls?.clientAuthType).toBe('RequireAnyClientCert');
  });
});

describe('loadWebConfig: files it points to', () => {
  let certs: TestCerts;
  beforeAll(() => {
    certs = makeCerts();
  });
  afterAll(() => certs?.cleanup());

  const write = (name: string, text: string) => {
    const f = path.join(certs.dir, name);
    writeFileSync(f, text);
    return f;
  };
  const errorOf = (f: string) => {
    try {
      loadWebConfig(f);
    } catch (e) {
      expect(e).toBeInstanceOf(WebConfigError);
      return (e as Error).message;
    }
    throw new Error('expected loadWebConfig to throw');
  };

  it('loads certificate, key and CA (relative to the config file)', () => {
    const f = write('ok.yml', 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n');
    const c = loadWebConfig(f);
    expect(c.tls?.material?.cert.toString()).toBe(readFileSync(certs.serverCrt, 'utf8'));
    expect(c.tls?.material?.key.toString()).toBe(readFileSync(certs.serverKey, 'utf8'));
    expect(c.tls?.material?.ca?.toString()).toBe(readFileSync(certs.caCrt, 'utf8'));
  });

  it('accepts inline PEM (cert, key, client_ca)', () => {
    const indent = (file: string) =>
      readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .map((l) => `    ${l}`)
        .join('\n');
    const f = write('inline.yml', `tls_server_config:\n  cert: |\n${indent(certs.serverCrt)}\n  key: |\n${indent(certs.serverKey)}\n  client_auth_type: VerifyClientCertIfGiven\n  client_ca: |\n${indent(certs.caCrt)}\n`);
    const c = loadWebConfig(f);
    expect(c.tls?.material?.cert.toString()).toContain('BEGIN CERTIFICATE');
    expect(c.tls?.material?.ca?.toString()).toContain('BEGIN CERTIFICATE');
  });

  it('missing config file', () => {
    const f = path.join(certs.dir, 'nope.yml');
    expect(errorOf(f)).toBe(`web config ${f}: cannot read file: no such file`);
  });

  it('missing cert_file names the cert file', () => {
    const f = write('nocert.yml', 'tls_server_config:\n  cert_file: missing.crt\n  key_file: server.key\n');
    expect(errorOf(f)).toBe(`web config ${f}: tls_server_config.cert_file: cannot read ${path.join(certs.dir, 'missing.crt')}: no such file`);
  });

  it('unreadable key_file names the key file', () => {
    if (process.getuid?.() === 0) {
      // root reads mode-000 files; a directory in place of the file is unreadable for everybody
      mkdirSync(path.join(certs.dir, 'dir.key'), { recursive: true });
    } else {
      copyFileSync(certs.serverKey, path.join(certs.dir, 'dir.key'));
      chmodSync(path.join(certs.dir, 'dir.key'), 0o000);
    }
    const f = write('nokey.yml', 'tls_server_config:\n  cert_file: server.crt\n  key_file: dir.key\n');
    expect(errorOf(f)).toMatch(new RegExp(`^web config ${f}: tls_server_config.key_file: cannot read ${path.join(certs.dir, 'dir.key')}: (is a directory, not a file|permission denied)$`));
  });

  it('client_ca_file that is missing', () => {
    const f = write('noca.yml', 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: /nonexistent/ca.pem\n');
    expect(errorOf(f)).toBe(`web config ${f}: tls_server_config.client_ca_file: cannot read /nonexistent/ca.pem: no such file`);
  });

  it('cert_file that is not a certificate', () => {
    const f = write('garbage.yml', 'tls_server_config:\n  cert_file: server.key\n  key_file: server.key\n');
    expect(errorOf(f)).toBe(`web config ${f}: tls_server_config.cert_file: cert_file ${certs.serverKey} does not hold a PEM certificate`);
  });

  it('key_file that is not a key', () => {
    const f = write('garbagekey.yml', 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.crt\n');
    expect(errorOf(f)).toBe(`web config ${f}: tls_server_config.key_file: key_file ${certs.serverCrt} does not hold a PEM private key (encrypted keys are not supported)`);
  });

  it('key that does not match the certificate', () => {
    const f = write('mismatch.yml', 'tls_server_config:\n  cert_file: server.crt\n  key_file: other.key\n');
    expect(errorOf(f)).toBe(`web config ${f}: tls_server_config: the private key in key_file ${certs.otherKey} does not match the certificate in cert_file ${certs.serverCrt}`);
  });

  it('client CA file without certificates', () => {
    const f = write('emptyca.yml', 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: server.key\n');
    expect(errorOf(f)).toBe(`web config ${f}: tls_server_config.client_ca_file: client_ca_file ${certs.serverKey} holds no PEM certificates`);
  });
});
