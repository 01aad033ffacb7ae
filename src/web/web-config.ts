/**
 * Prometheus web configuration file (the exporter-toolkit format used by node_exporter & co.,
 * passed with `--web.config.file`).
 *
 *   parseWebConfig(text, { file, dir })  pure: YAML text → WebConfig, throws WebConfigError
 *   loadWebConfig(path)                  reads the file, parses it, then reads and checks the
 *                                        certificate, key and client CA files (→ tls.material)
 *
 * Supported keys (everything else is an error naming the key and the file):
 *
 *   tls_server_config:
 *     cert_file | cert          server certificate (file, or inline PEM)
 *     key_file  | key           private key (file, or inline PEM)
 *     client_auth_type          NoClientCert (default) | RequestClientCert | RequireAnyClientCert |
 *                               VerifyClientCertIfGiven | RequireAndVerifyClientCert
 *                               (RequireClientCert is accepted as the old spelling of RequireAnyClientCert)
 *     client_ca_file | client_ca  CAs used to verify client certificates
 *     min_version / max_version TLS10 | TLS11 | TLS12 | TLS13 (default TLS12 .. TLS13)
 *     cipher_suites             Go cipher suite names; TLS 1.2 suites are mapped to their OpenSSL names.
 *                               TLS 1.3 suites are accepted and ignored, exactly as Go ignores them.
 *     curve_preferences         CurveP256 | CurveP384 | CurveP521 | X25519 (mapped to OpenSSL groups)
 *     prefer_server_cipher_suites  bool (default true) → Node's honorCipherOrder
 *   basic_auth_users:           map user → bcrypt hash ($2a$/$2b$/$2y$, cost 4..MAX_BCRYPT_COST)
 *   http_server_config:
 *     headers                   Strict-Transport-Security, X-Content-Type-Options (nosniff),
 *                               X-Frame-Options (deny|sameorigin), X-XSS-Protection, Content-Security-Policy
 *     http2                     accepted; klp_exporter always serves HTTP/1.1
 *
 * Deliberately rejected with an explanatory error: `client_allowed_sans` and `rate_limit` (exporter-toolkit
 * features that klp_exporter does not implement; silently ignoring an access-control setting would be worse).
 *
 * Differences from exporter-toolkit, all in the stricter direction:
 *   - a client_auth_type that verifies certificates needs client_ca_file/client_ca (Go would fall back to the
 *     system roots, which is almost never what an operator wants);
 *   - bcrypt hashes are checked at load time and a cost above MAX_BCRYPT_COST is refused, so a config file
 *     cannot turn every login into a CPU denial of service;
 *   - certificates are read once at start-up (and on reload by the caller), not on every TLS handshake.
 *
 * Relative paths resolve against the directory of the web config file, as exporter-toolkit does.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { safeKey, yamlErrorText, yamlShapeProblem } from '../config/yaml-shape.js';
import { fileErrorReason } from '../host/files.js';
import { LineCounter, parseDocument, isMap, isScalar, isSeq, type Node as YamlNode } from 'yaml';

export const CLIENT_AUTH_TYPES = ['NoClientCert', 'RequestClientCert', 'RequireAnyClientCert', 'VerifyClientCertIfGiven', 'RequireAndVerifyClientCert'] as const;
export type ClientAuthType = (typeof CLIENT_AUTH_TYPES)[number];

export type TlsVersionName = 'TLS10' | 'TLS11' | 'TLS12' | 'TLS13';
/** Node's names for the protocol versions. */
export const TLS_VERSIONS: Record<TlsVersionName, 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3'> = {
  TLS10: 'TLSv1',
  TLS11: 'TLSv1.1',
  TLS12: 'TLSv1.2',
  TLS13: 'TLSv1.3',
};
const TLS_VERSION_ORDER: TlsVersionName[] = ['TLS10', 'TLS11', 'TLS12', 'TLS13'];

/** Go (crypto/tls) cipher suite name → OpenSSL name. `null`: a TLS 1.3 suite, which Go does not let you configure. */
export const CIPHER_SUITES: Record<string, string | null> = {
  TLS_RSA_WITH_AES_128_CBC_SHA: 'AES128-SHA',
  TLS_RSA_WITH_AES_256_CBC_SHA: 'AES256-SHA',
  TLS_RSA_WITH_AES_128_GCM_SHA256: 'AES128-GCM-SHA256',
  TLS_RSA_WITH_AES_256_GCM_SHA384: 'AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: 'ECDHE-ECDSA-AES128-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: 'ECDHE-ECDSA-AES256-SHA',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: 'ECDHE-RSA-AES128-SHA',
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: 'ECDHE-RSA-AES256-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 'ECDHE-RSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  TLS_AES_128_GCM_SHA256: null,
  TLS_AES_256_GCM_SHA384: null,
  TLS_CHACHA20_POLY1305_SHA256: null,
};

/** Go curve name → OpenSSL group name. */
export const CURVES: Record<string, string> = {
  CurveP256: 'prime256v1',
  CurveP384: 'secp384r1',
  CurveP521: 'secp521r1',
  X25519: 'X25519',
};

/** Allowed extra response headers and, where the value is an enumeration, its allowed values. */
export const EXTRA_HEADERS: Record<string, readonly string[] | null> = {
  'Strict-Transport-Security': null,
  'X-Content-Type-Options': ['nosniff'],
  'X-Frame-Options': ['deny', 'sameorigin'],
  'X-XSS-Protection': null,
  'Content-Security-Policy': null,
};

/** Highest bcrypt cost accepted in basic_auth_users (cost 14 ≈ 1 s of CPU per uncached check in bcryptjs). */
export const MAX_BCRYPT_COST = 14;
const BCRYPT_HASH = /^\$2[abxy]?\$(\d{2})\$[./A-Za-z0-9]{53}$/;

export interface TlsServerConfig {
  /** Absolute path, or undefined when the PEM is inline (`cert`). */
  certFile?: string;
  certInline?: string;
  keyFile?: string;
  keyInline?: string;
  clientCaFile?: string;
  clientCaInline?: string;
  clientAuthType: ClientAuthType;
  minVersion: TlsVersionName;
  maxVersion: TlsVersionName;
  /** OpenSSL names of the configured TLS 1.2 suites, in order; empty = Node's default list. */
  ciphers: string[];
  /** OpenSSL group names; empty = Node's default. */
  curves: string[];
  preferServerCipherSuites: boolean;
  /** Filled in by loadWebConfig (not by parseWebConfig). */
  material?: TlsMaterial;
}

export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  ca?: Buffer;
}

export interface WebConfig {
  /** The file the config came from (for messages). */
  file: string;
  /** Undefined when the file has no TLS settings: plain HTTP. */
  tls?: TlsServerConfig;
  /** user → bcrypt hash. Empty map: no authentication. */
  basicAuthUsers: Map<string, string>;
  headers: Record<string, string>;
}

/** Every problem with a web config file. `message` always names the file; `key` is the dotted key path if any. */
export class WebConfigError extends Error {
  constructor(
    readonly file: string,
    readonly key: string | undefined,
    readonly problem: string,
    readonly line?: number,
  ) {
    super(`web config ${file}${line ? `:${line}` : ''}: ${key ? `${key}: ` : ''}${problem}`);
    this.name = 'WebConfigError';
  }
}

/** Throw a WebConfigError; `offset` (in the text) gives the line when the key path cannot. */
type Fail = (key: string | undefined, problem: string, offset?: number) => never;

/** The entries of a mapping: key, value, and where the key starts in the text. */
function mapEntries(node: YamlNode | null | undefined, key: string | undefined, fail: Fail): [string, YamlNode | null, number | undefined][] {
  if (node === null || node === undefined || (isScalar(node) && node.value === null)) return [];
  if (!isMap(node)) fail(key, key ? 'must be a mapping' : 'must be a YAML mapping of settings', node.range?.[0]);
  const out: [string, YamlNode | null, number | undefined][] = [];
  for (const pair of node.items) {
    const k = isScalar(pair.key) ? pair.key.value : undefined;
    if (typeof k !== 'string') fail(key, 'keys must be strings', isScalar(pair.key) ? pair.key.range?.[0] : undefined);
    out.push([k, (pair.value as YamlNode | null) ?? null, isScalar(pair.key) ? pair.key.range?.[0] : undefined]);
  }
  return out;
}

/** Where a node starts in the text (for the line of a problem). */
const startOf = (node: YamlNode | null | undefined): number | undefined => (node && (isScalar(node) || isMap(node) || isSeq(node)) ? node.range?.[0] : undefined);

function str(node: YamlNode | null, key: string, fail: Fail): string {
  if (!isScalar(node) || typeof node.value !== 'string') fail(key, 'must be a string', startOf(node));
  return node.value;
}

function bool(node: YamlNode | null, key: string, fail: Fail): boolean {
  if (!isScalar(node) || typeof node.value !== 'boolean') fail(key, 'must be true or false', startOf(node));
  return node.value;
}

function strList(node: YamlNode | null, key: string, fail: Fail): string[] {
  if (node === null || (isScalar(node) && node.value === null)) return [];
  if (!isSeq(node)) fail(key, 'must be a list of strings', startOf(node));
  return node.items.map((item, i) => str(item as YamlNode | null, `${key}[${i}]`, fail));
}

function oneOf<T extends string>(value: string, allowed: readonly T[], key: string, fail: Fail, offset?: number): T {
  if (!(allowed as readonly string[]).includes(value)) {
    fail(key, `invalid value (expected one of ${allowed.join(', ')})`, offset); // the value is not repeated: the file's content never is
  }
  return value as T;
}

function unknownKey(prefix: string, k: string, fail: Fail, at: number | undefined): never {
  const full = prefix ? `${prefix}.${safeKey(k)}` : safeKey(k);
  if (k === 'client_allowed_sans' || k === 'rate_limit') {
    fail(full, 'is an exporter-toolkit setting that klp_exporter does not support', at);
  }
  return fail(full, 'unknown key', at);
}

function filePath(node: YamlNode | null, key: string, dir: string, fail: Fail): string {
  const p = str(node, key, fail);
  if (p === '') fail(key, 'must not be empty');
  return path.isAbsolute(p) ? p : path.resolve(dir, p);
}

/**
 * Parse the text of a web config file. Pure: reads no files. `file` is only used in messages;
 * `dir` is the directory relative paths resolve against (normally `path.dirname(file)`).
 */
export function parseWebConfig(text: string, where: { file: string; dir: string }): WebConfig {
  const lineCounter = new LineCounter();
  let doc: ReturnType<typeof parseDocument> | undefined;
  /** The line of the node at a key path like "a.b[1]" (when the path is a plain one). */
  const lineOf = (key: string | undefined): number | undefined => {
    if (!doc || !key) return undefined;
    const keyPath = key.split(/\.|(?=\[)/).map((k) => (/^\[\d+\]$/.test(k) ? Number(k.slice(1, -1)) : k));
    const node = doc.getIn(keyPath, true) as YamlNode | undefined;
    const offset = isScalar(node) || isMap(node) || isSeq(node) ? node.range?.[0] : undefined;
    return offset === undefined ? undefined : lineCounter.linePos(offset).line;
  };
  const fail: Fail = (key, problem, offset) => {
    throw new WebConfigError(where.file, key, problem, offset !== undefined ? lineCounter.linePos(offset).line : lineOf(key));
  };
  const shapeProblem = yamlShapeProblem(text);
  if (shapeProblem) fail(undefined, shapeProblem);
  doc = parseDocument(text, { uniqueKeys: true, lineCounter });
  if (doc.errors.length > 0) fail(undefined, yamlErrorText(doc.errors[0]!, text));
  const config: WebConfig = { file: where.file, basicAuthUsers: new Map(), headers: {} };

  for (const [k, v, at] of mapEntries(doc.contents as YamlNode | null, undefined, fail)) {
    switch (k) {
      case 'tls_server_config':
        config.tls = parseTls(v, where.dir, fail);
        break;
      case 'basic_auth_users':
        for (const [user, hashNode] of mapEntries(v, k, fail)) {
          const key = `basic_auth_users.${safeKey(user)}`;
          const hash = str(hashNode, key, fail);
          const m = BCRYPT_HASH.exec(hash);
          if (!m) fail(key, 'is not a bcrypt hash (expected $2a$, $2b$ or $2y$ followed by cost and 53 characters)', startOf(hashNode));
          const cost = Number(m[1]);
          if (cost < 4) fail(key, `bcrypt cost ${cost} is below the minimum of 4`, startOf(hashNode));
          if (cost > MAX_BCRYPT_COST) {
            fail(
              key,
              `bcrypt cost ${cost} is above the maximum of ${MAX_BCRYPT_COST} that klp_exporter accepts (expensive hashes let unauthenticated requests exhaust the CPU); re-hash the password with a lower cost, e.g. 10`,
              startOf(hashNode),
            );
          }
          config.basicAuthUsers.set(user, hash);
        }
        break;
      case 'http_server_config':
        for (const [hk, hv, hat] of mapEntries(v, k, fail)) {
          if (hk === 'http2') {
            bool(hv, `${k}.http2`, fail); // accepted for compatibility; Node's server here speaks HTTP/1.1
          } else if (hk === 'headers') {
            for (const [name, valueNode] of mapEntries(hv, `${k}.headers`, fail)) {
              const key = `${k}.headers.${safeKey(name)}`;
              const value = str(valueNode, key, fail);
              if (!(name in EXTRA_HEADERS)) {
                fail(key, `header can not be configured (allowed: ${Object.keys(EXTRA_HEADERS).join(', ')})`, startOf(valueNode));
              }
              const allowed = EXTRA_HEADERS[name];
              if (allowed) oneOf(value, allowed, key, fail, startOf(valueNode));
              config.headers[name] = value;
            }
          } else {
            unknownKey(k, hk, fail, hat);
          }
        }
        break;
      default:
        unknownKey('', k, fail, at);
    }
  }
  return config;
}

function parseTls(node: YamlNode | null, dir: string, fail: Fail): TlsServerConfig | undefined {
  const p = 'tls_server_config';
  const entries = mapEntries(node, p, fail);
  if (entries.length === 0) return undefined;
  const t: TlsServerConfig = {
    clientAuthType: 'NoClientCert',
    minVersion: 'TLS12',
    maxVersion: 'TLS13',
    ciphers: [],
    curves: [],
    preferServerCipherSuites: true,
  };
  let clientAuthSet = false;
  for (const [k, v, at] of entries) {
    const key = `${p}.${k}`;
    switch (k) {
      case 'cert_file':
        t.certFile = filePath(v, key, dir, fail);
        break;
      case 'cert':
        t.certInline = str(v, key, fail);
        break;
      case 'key_file':
        t.keyFile = filePath(v, key, dir, fail);
        break;
      case 'key':
        t.keyInline = str(v, key, fail);
        break;
      case 'client_ca_file':
        t.clientCaFile = filePath(v, key, dir, fail);
        break;
      case 'client_ca':
        t.clientCaInline = str(v, key, fail);
        break;
      case 'client_auth_type': {
        let value = str(v, key, fail);
        if (value === 'RequireClientCert') value = 'RequireAnyClientCert';
        t.clientAuthType = oneOf(value, CLIENT_AUTH_TYPES, key, fail, startOf(v));
        clientAuthSet = true;
        break;
      }
      case 'min_version':
        t.minVersion = oneOf(str(v, key, fail), TLS_VERSION_ORDER, key, fail, startOf(v));
        break;
      case 'max_version':
        t.maxVersion = oneOf(str(v, key, fail), TLS_VERSION_ORDER, key, fail, startOf(v));
        break;
      case 'cipher_suites':
        t.ciphers = [];
        strList(v, key, fail).forEach((name, i) => {
          if (!(name in CIPHER_SUITES)) fail(`${key}[${i}]`, 'unknown cipher suite');
          const openssl = CIPHER_SUITES[name];
          if (openssl) t.ciphers.push(openssl);
        });
        break;
      case 'curve_preferences':
        t.curves = strList(v, key, fail).map((name, i) => {
          const group = CURVES[name];
          if (!group) fail(`${key}[${i}]`, `unknown curve (expected one of ${Object.keys(CURVES).join(', ')})`);
          return group;
        });
        break;
      case 'prefer_server_cipher_suites':
        t.preferServerCipherSuites = bool(v, key, fail);
        break;
      default:
        unknownKey(p, k, fail, at);
    }
  }

  const either = (a: unknown, b: unknown, names: string) => {
    if (a !== undefined && b !== undefined) fail(p, `set only one of ${names}`);
  };
  either(t.certFile, t.certInline, 'cert_file and cert');
  either(t.keyFile, t.keyInline, 'key_file and key');
  either(t.clientCaFile, t.clientCaInline, 'client_ca_file and client_ca');
  if (t.certFile === undefined && !t.certInline) fail(p, 'missing one of cert_file or cert');
  if (t.keyFile === undefined && !t.keyInline) fail(p, 'missing one of key_file or key');
  if (TLS_VERSION_ORDER.indexOf(t.minVersion) > TLS_VERSION_ORDER.indexOf(t.maxVersion)) {
    fail(`${p}.min_version`, `${t.minVersion} is higher than max_version ${t.maxVersion}`);
  }
  const hasCa = t.clientCaFile !== undefined || t.clientCaInline !== undefined;
  if (hasCa && t.clientAuthType === 'NoClientCert') {
    fail(p, `client CAs are configured but client_auth_type is ${clientAuthSet ? 'NoClientCert' : 'not set'}; set client_auth_type, e.g. RequireAndVerifyClientCert`);
  }
  if (!hasCa && (t.clientAuthType === 'VerifyClientCertIfGiven' || t.clientAuthType === 'RequireAndVerifyClientCert')) {
    fail(`${p}.client_auth_type`, `${t.clientAuthType} needs client_ca_file (or client_ca) to verify client certificates against`);
  }
  return t;
}

function readMaterial(file: string, configFile: string, key: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new WebConfigError(configFile, key, `cannot read ${file}: ${fileErrorReason(err)}`);
  }
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * Read the certificate, key and client CA named by a parsed config and check that they are usable
 * (PEM parses, the key belongs to the certificate, the CA file holds at least one certificate).
 * Returns a copy of the config with `tls.material` filled in.
 */
export function loadTlsMaterial(config: WebConfig): WebConfig {
  const t = config.tls;
  if (!t) return config;
  const f = config.file;
  const p = 'tls_server_config';
  const certSrc = t.certFile ? `cert_file ${t.certFile}` : 'cert';
  const keySrc = t.keyFile ? `key_file ${t.keyFile}` : 'key';
  const cert = t.certFile ? readMaterial(t.certFile, f, `${p}.cert_file`) : Buffer.from(t.certInline ?? '');
  const key = t.keyFile ? readMaterial(t.keyFile, f, `${p}.key_file`) : Buffer.from(t.keyInline ?? '');
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch {
    throw new WebConfigError(f, `${p}.${t.certFile ? 'cert_file' : 'cert'}`, `${certSrc} does not hold a PEM certificate`);
  }
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    throw new WebConfigError(f, `${p}.${t.keyFile ? 'key_file' : 'key'}`, `${keySrc} does not hold a PEM private key (encrypted keys are not supported)`);
  }
  if (!x509.checkPrivateKey(privateKey)) {
    throw new WebConfigError(f, p, `the private key in ${keySrc} does not match the certificate in ${certSrc}`);
  }
  let ca: Buffer | undefined;
  if (t.clientCaFile !== undefined || t.clientCaInline !== undefined) {
    const caKey = t.clientCaFile !== undefined ? 'client_ca_file' : 'client_ca';
    ca = t.clientCaFile !== undefined ? readMaterial(t.clientCaFile, f, `${p}.${caKey}`) : Buffer.from(t.clientCaInline!);
    const blocks = ca.toString('utf8').match(PEM_CERT) ?? [];
    const caSrc = t.clientCaFile !== undefined ? `client_ca_file ${t.clientCaFile}` : 'client_ca';
    if (blocks.length === 0) throw new WebConfigError(f, `${p}.${caKey}`, `${caSrc} holds no PEM certificates`);
    for (const b of blocks) {
      try {
        new X509Certificate(b);
      } catch {
        throw new WebConfigError(f, `${p}.${caKey}`, `${caSrc} holds a certificate that does not parse`);
      }
    }
  }
  return { ...config, tls: { ...t, material: { cert, key, ca } } };
}

/**
 * Read, parse and check a web config file (including the files it points to). Throws WebConfigError.
 * Call it at start-up (and on reload); a thrown error should stop the start-up with its message.
 */
export function loadWebConfig(file: string): WebConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new WebConfigError(file, undefined, `cannot read file: ${fileErrorReason(err)}`);
  }
  return loadTlsMaterial(parseWebConfig(text, { file, dir: path.dirname(path.resolve(file)) }));
}
