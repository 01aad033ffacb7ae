// Connection hygiene for the HTTP(S) server, on top of what node:http offers (headersTimeout,
// requestTimeout, keepAliveTimeout, maxConnections, closeIdleConnections):
//
// - The connection limit comes from the file descriptor limit, so that sockets can never take
//   the descriptors that files and command pipes need.
// - A connection that has not sent a complete request within `firstRequestMs` of connecting, or
//   within `nextRequestMs` of the end of its last response, is closed. node's headersTimeout only
//   starts with the first byte of a request, so a socket that sends nothing would otherwise stay
//   until the socket timeout; and node checks headersTimeout on a timer that wakes the process
//   whether or not anyone is connected, while these timers exist only while connections do (the
//   server can then run node's check rarely: see src/main.ts).
// - When the limit is near, idle connections (no request in progress: fresh sockets that sent
//   nothing yet, keep-alive sockets between requests, half-sent headers) are shed, longest idle
//   first, so that an attacker holding idle sockets cannot lock out a client that sends a request.
//   node's closeIdleConnections() would also close a client's socket accepted a moment ago whose
//   request has not been read yet, and cannot shed only a few: hence this bookkeeping.
// - At most one request per connection is in progress: pipelined requests wait their turn, so one
//   connection cannot take every --web.max-requests slot.

import { readFileSync } from 'node:fs';
import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** Descriptors kept for files, command pipes, the log and the event loop. */
const RESERVED_FDS = 128;
/** Above this, more sockets cost memory without serving anyone better. */
const MAX_CONNECTIONS = 16_384;
/** Pipelined requests one connection may have waiting. */
const MAX_PIPELINED = 64;
/**
 * The longest a Node timer waits (2^31 - 1 ms, 24.8 days): the interval for node's own check of its
 * headers and request timeouts when this guard's per-connection deadlines enforce them instead.
 */
export const NODE_CHECK_RARELY_MS = 2 ** 31 - 1;

/** The soft limit on open files of this process (RLIMIT_NOFILE), from /proc/self/limits. */
export function openFilesLimit(limitsText?: string): number | undefined {
  let text = limitsText;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/self/limits', 'utf8');
    } catch {
      return undefined;
    }
  }
  const m = /^Max open files\s+(\d+|unlimited)\s/m.exec(text);
  if (!m) return undefined;
  return m[1] === 'unlimited' ? Infinity : Number(m[1]);
}

/** The connection limit for a descriptor limit: what is left after the reserve, within bounds. */
export function connectionLimitFor(fdLimit: number | undefined): number {
  if (fdLimit === undefined) return 1024;
  return Math.max(32, Math.min(MAX_CONNECTIONS, fdLimit - RESERVED_FDS));
}

export interface ConnectionGuardOptions {
  /** Hard cap (server.maxConnections). */
  readonly limit: number;
  /** A connection must have sent a complete request this soon after connecting. */
  readonly firstRequestMs: number;
  /** A kept-alive connection must have sent its next complete request this soon after a response (keep-alive timeout + headers timeout). */
  readonly nextRequestMs: number;
}

interface Conn {
  /** Requests received on it and not yet answered. */
  active: number;
  /** Closes the connection unless a complete request arrives first. */
  timer: NodeJS.Timeout | undefined;
}

/**
 * Apply the limit, the first-request deadline and idle shedding to `server`; returns the request
 * listener to install (it serialises pipelined requests per connection). `tlsServer`: sockets of
 * requests are TLS sockets wrapping the raw sockets the server accepted.
 */
export function guardConnections(server: Server, handler: RequestListener, opts: ConnectionGuardOptions): RequestListener {
  server.maxConnections = opts.limit;
  // Shed when this close to the limit, so that a new client always finds a free slot.
  const shedAt = Math.max(1, opts.limit - Math.max(8, Math.floor(opts.limit / 16)));
  const conns = new Map<Socket, Conn>();
  /** Idle connections in the order they became idle (Map keeps insertion order). */
  const idle = new Map<Socket, true>();

  const setIdle = (sock: Socket) => {
    idle.delete(sock);
    idle.set(sock, true);
  };

  /** Close `sock` unless a complete request arrives within `ms`. */
  const requestDue = (sock: Socket, c: Conn, ms: number) => {
    clearTimeout(c.timer);
    c.timer = setTimeout(() => {
      if (c.active === 0) sock.destroy();
    }, ms);
    c.timer.unref();
  };

  server.prependListener('connection', (sock: Socket) => {
    const c: Conn = { active: 0, timer: undefined };
    requestDue(sock, c, opts.firstRequestMs);
    conns.set(sock, c);
    setIdle(sock);
    sock.once('close', () => {
      clearTimeout(c.timer);
      conns.delete(sock);
      idle.delete(sock);
    });
    // Near the limit: shed the longest-idle connections (never this new one).
    let excess = conns.size - shedAt;
    for (const victim of idle.keys()) {
      if (excess <= 0) break;
      if (victim === sock) continue;
      idle.delete(victim);
      victim.destroy();
      excess--;
    }
  });

  // The raw socket a request came on (a TLS socket wraps it as _parent).
  const rawOf = (sock: Socket): Socket => {
    const parent = (sock as Socket & { _parent?: unknown })._parent;
    return parent && conns.has(parent as Socket) ? (parent as Socket) : sock;
  };

  // Pipelined requests of one connection, waiting for the one in progress.
  const queues = new WeakMap<Socket, Array<[IncomingMessage, ServerResponse]>>();

  const run = (req: IncomingMessage, res: ServerResponse, sock: Socket, c: Conn | undefined, raw: Socket) => {
    res.once('close', () => {
      const q = queues.get(sock);
      if (c) c.active--;
      if (sock.destroyed) {
        queues.delete(sock);
      } else if (q && q.length > 0) {
        const [nextReq, nextRes] = q.shift()!;
        return void run(nextReq, nextRes, sock, c, raw);
      }
      if (c && c.active <= 0) {
        c.active = 0;
        if (!sock.destroyed) {
          setIdle(raw);
          requestDue(raw, c, opts.nextRequestMs);
        }
      }
    });
    handler(req, res);
  };

  return (req, res) => {
    const sock = req.socket;
    const raw = rawOf(sock);
    const c = conns.get(raw);
    if (c) {
      clearTimeout(c.timer);
      idle.delete(raw);
    }
    const q = queues.get(sock);
    if (c && c.active > 0) {
      // A pipelining client waits for its own answers; more than MAX_PIPELINED queued is abuse.
      if ((q?.length ?? 0) >= MAX_PIPELINED) return void sock.destroy();
      c.active++;
      if (q) q.push([req, res]);
      else queues.set(sock, [[req, res]]);
      return;
    }
    if (c) c.active++;
    run(req, res, sock, c, raw);
  };
}
