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
 *   - bcrypt comparisons run one at a time (like exporter-toolkit's mutex), in a worker thread. Waiting checks
 *     are queued per client address and served round robin, so a guessing flood from some addresses does not
 *     starve a valid client elsewhere; credentials that were valid before go first. At most
 *     options.maxPendingPerClient (default 4) checks may wait per address and options.maxPending (default 256)
 *     in all; beyond that the request gets 429 at once.
 *   - Successful verifications are cached keyed by SHA-256(user, hash, password), bounded to
 *     options.maxCacheEntries (least recently used dropped first). An entry lives options.cacheTtlMs
 *     (default 5 min) after its last use, so a scraping Prometheus costs one bcrypt per restart, not one per
 *     scrape or per TTL. Together with the cost bound at config load (MAX_BCRYPT_COST) this keeps logins
 *     from being a CPU DoS.
 *   - Failed logins are logged (address and user name, bounded), at most one line per FAILED_LOG_INTERVAL_MS
 *     with the number of failures since the previous line.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../log.js';
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
  maxPendingPerClient?: number;
  /** Where failed logins are logged (rate-limited). */
  log?: Logger;
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

/** At most one "failed login" line per this interval. */
const FAILED_LOG_INTERVAL_MS = 10_000;

interface Check {
  readonly password: string;
  readonly hash: string;
  readonly done: (ok: boolean) => void;
}

/**
 * bcrypt checks, one at a time, served round robin across client addresses; checks of credentials
 * that were valid before (`priority`) go first.
 */
class FairQueue {
  private readonly byClient = new Map<string, Check[]>();
  private readonly priority: Check[] = [];
  private pending = 0;
  private running = false;

  constructor(
    private readonly compare: (password: string, hash: string) => Promise<boolean>,
    private readonly maxPending: number,
    private readonly maxPerClient: number,
  ) {}

  /** Queue a check; false when the client (or everyone) already has too many waiting. */
  offer(client: string, check: Check, priority: boolean): boolean {
    if (this.pending >= this.maxPending) return false;
    if (priority) {
      this.priority.push(check);
    } else {
      const q = this.byClient.get(client);
      if ((q?.length ?? 0) >= this.maxPerClient) return false;
      if (q) q.push(check);
      else this.byClient.set(client, [check]);
    }
    this.pending++;
    this.pump();
    return true;
  }

  private next(): Check | undefined {
    const first = this.priority.shift();
    if (first) return first;
    // Round robin: take the first client's oldest check, then move that client to the back.
    for (const [client, q] of this.byClient) {
      this.byClient.delete(client);
      const check = q.shift();
      if (q.length > 0) this.byClient.set(client, q);
      if (check) return check;
    }
    return undefined;
  }

  private pump(): void {
    if (this.running) return;
    const check = this.next();
    if (!check) return;
    this.running = true;
    this.compare(check.password, check.hash)
      .catch(() => false)
      .then((ok) => {
        this.pending--;
        this.running = false;
        check.done(ok);
        this.pump();
      });
  }
}

export function basicAuthMiddleware(config: WebConfigSource, options: BasicAuthOptions = {}): Middleware {
  const openPaths = new Set(options.openPaths ?? ['/-/healthy']);
  const ttl = options.cacheTtlMs ?? 5 * 60_000;
  const maxEntries = options.maxCacheEntries ?? 1024;
  const now = options.now ?? Date.now;
  const verifier = options.compare ? undefined : new BcryptWorker();
  const compare = options.compare ?? ((password: string, hash: string) => verifier!.compare(password, hash));
  const queue = new FairQueue(compare, options.maxPending ?? 256, options.maxPendingPerClient ?? 4);
  const cache = new Map<string, number>(); // key → expiry, least recently used first
  /** Keys that verified once (bounded): checked first when their cache entry is gone. */
  const known = new Map<string, true>();
  const failed = { count: 0, loggedAt: -Infinity };

  const remember = (map: Map<string, unknown>, key: string, value: unknown) => {
    map.delete(key);
    map.set(key, value);
    while (map.size > maxEntries) map.delete(map.keys().next().value!);
  };

  const logFailure = (client: string, user: string) => {
    failed.count++;
    if (!options.log || now() - failed.loggedAt < FAILED_LOG_INTERVAL_MS) return;
    options.log.warn('failed login', { remote: client, user: user.slice(0, 64), failures_since_last_line: failed.count });
    failed.count = 0;
    failed.loggedAt = now();
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
    const isUser = hash !== undefined;
    const againstHash = hash ?? fallback!;
    const key = sha256(creds.user, againstHash, creds.password).toString('hex');

    const expiry = cache.get(key);
    if (isUser && expiry !== undefined && expiry > now()) {
      // Each use keeps the entry alive for another TTL.
      remember(cache, key, now() + ttl);
      return next();
    }
    if (expiry !== undefined) cache.delete(key);

    const client = req.socket.remoteAddress ?? '';
    const done = (ok: boolean) => {
      if (ok && isUser) {
        remember(cache, key, now() + ttl);
        remember(known, key, true);
        next();
      } else {
        logFailure(client, creds.user);
        reject(res, 401);
      }
    };
    if (!queue.offer(client, { password: creds.password, hash: againstHash, done }, isUser && known.has(key))) reject(res, 429);
  };
}

export function securityHeadersMiddleware(config: WebConfigSource): Middleware {
  return (_req, res, next) => {
    const headers = current(config)?.headers;
    if (headers) for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
    next();
  };
}
