/**
 * HTTP basic authentication from `basic_auth_users` of the web config file.
 *
 *   basicAuthMiddleware(config, options?)     (req, res, next) middleware, usable in express or raw node
 *   securityHeadersMiddleware(config)         adds http_server_config.headers to every response
 *
 * `config` is a WebConfig, undefined (auth off), or a function returning the current one (so a reload can
 * swap users without rebuilding the app).
 *
 * Behaviour:
 *   - No users configured → every request passes.
 *   - Otherwise every path requires valid credentials EXCEPT the exact path `/-/healthy` (options.openPaths):
 *     container and systemd health checks must work without a secret, and that endpoint reveals nothing
 *     about the host. Note that exporter-toolkit itself protects every path.
 *   - Missing, malformed or wrong credentials → 401, `WWW-Authenticate: Basic realm="klp_exporter"`.
 *   - The user name is compared in constant time (SHA-256 digests compared with crypto.timingSafeEqual,
 *     against every configured user without early exit); an unknown user still costs a bcrypt comparison
 *     (against a configured hash) so response time does not reveal which users exist.
 *   - bcrypt comparisons run one at a time (like exporter-toolkit's mutex); at most options.maxPending
 *     (default 16) may wait, further requests get 429 at once. Successful verifications are cached for
 *     options.cacheTtlMs (default 5 min) keyed by SHA-256(user, hash, password), bounded to
 *     options.maxCacheEntries, so a scraping Prometheus costs one bcrypt per TTL, not one per scrape.
 *     Together with the cost bound at config load (MAX_BCRYPT_COST) this keeps logins from being a CPU DoS.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BcryptWorker } from './bcrypt-worker.js';
import type { WebConfig } from './web-config.js';

export type Next = (err?: unknown) => void;
export type Middleware = (req: IncomingMessage, res: ServerResponse, next: Next) => void;
export type WebConfigSource = WebConfig | undefined | (() => WebConfig | undefined);

export interface BasicAuthOptions {
  /** Paths (exact, without query string) that never need credentials. Default ['/-/healthy']. */
  openPaths?: string[];
  cacheTtlMs?: number;
  maxCacheEntries?: number;
  maxPending?: number;
  /** Clock, for tests. */
  now?: () => number;
  /** Password check, for tests. Default bcryptjs compare. */
  compare?: (password: string, hash: string) => Promise<boolean>;
}

export const REALM = 'klp_exporter';

const sha256 = (...parts: string[]): Buffer => {
  const h = createHash('sha256');
  for (const p of parts) h.update(Buffer.from(p, 'utf8')).update('\0');
  return h.digest();
};

function current(src: WebConfigSource): WebConfig | undefined {
  return typeof src === 'function' ? src() : src;
}

/** Decode an `Authorization: Basic ...` header. Undefined when absent or malformed. */
export function parseBasicAuth(header: string | undefined): { user: string; password: string } | undefined {
  if (!header) return undefined;
  const m = /^Basic[ \t]+([A-Za-z0-9+/=_-]+)[ \t]*$/i.exec(header);
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

function reject(res: ServerResponse, status: 401 | 429): void {
  if (status === 401) res.setHeader('WWW-Authenticate', `Basic realm="${REALM}"`);
  else res.setHeader('Retry-After', '1');
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.end(status === 401 ? 'Unauthorized\n' : 'Too Many Requests\n');
}

export function basicAuthMiddleware(config: WebConfigSource, options: BasicAuthOptions = {}): Middleware {
  const openPaths = new Set(options.openPaths ?? ['/-/healthy']);
  const ttl = options.cacheTtlMs ?? 5 * 60_000;
  const maxEntries = options.maxCacheEntries ?? 1024;
  const maxPending = options.maxPending ?? 16;
  const now = options.now ?? Date.now;
  const verifier = options.compare ? undefined : new BcryptWorker();
  const compare = options.compare ?? ((password: string, hash: string) => verifier!.compare(password, hash));
  const cache = new Map<string, number>(); // key → expiry
  let queue: Promise<unknown> = Promise.resolve();
  let pending = 0;

  /** Serialise bcrypt work: one comparison at a time. */
  const compareSerial = (password: string, hash: string): Promise<boolean> => {
    pending++;
    const run = queue.then(() => compare(password, hash)).finally(() => pending--);
    queue = run.catch(() => undefined);
    return run.catch(() => false);
  };

  return (req, res, next) => {
    const cfg = current(config);
    const users = cfg?.basicAuthUsers;
    if (!users || users.size === 0 || openPaths.has(pathOf(req))) return next();

    const creds = parseBasicAuth(req.headers.authorization);
    if (!creds) return reject(res, 401);

    const given = sha256(creds.user);
    let hash: string | undefined;
    let fallback: string | undefined;
    for (const [user, h] of users) {
      fallback ??= h;
      // Every configured user is compared; no early exit.
      if (timingSafeEqual(given, sha256(user))) hash = h;
    }
    const known = hash !== undefined;
    const againstHash = hash ?? fallback!;
    const key = sha256(creds.user, againstHash, creds.password).toString('hex');

    const expiry = cache.get(key);
    if (known && expiry !== undefined && expiry > now()) return next();
    if (expiry !== undefined) cache.delete(key);

    if (pending >= maxPending) return reject(res, 429);
    compareSerial(creds.password, againstHash).then(
      (ok) => {
        if (ok && known) {
          cache.set(key, now() + ttl);
          while (cache.size > maxEntries) cache.delete(cache.keys().next().value!);
          next();
        } else {
          reject(res, 401);
        }
      },
      (err: unknown) => next(err),
    );
  };
}

export function securityHeadersMiddleware(config: WebConfigSource): Middleware {
  return (_req, res, next) => {
    const headers = current(config)?.headers;
    if (headers) for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
    next();
  };
}
