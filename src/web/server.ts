/**
 * createWebServer(handler, webConfig?, options?) → http.Server, or https.Server when the web config has
 * tls_server_config. The caller still calls `.listen()`.
 *
 * - TLS options come from the web config: certificate/key/CA, min/max version, cipher suites (TLS 1.2;
 *   TLS 1.3 keeps OpenSSL's defaults, as in Go), curves, server cipher order.
 * - client_auth_type:
 *     NoClientCert               no certificate requested
 *     RequestClientCert          requested, not required, not verified
 *     RequireAnyClientCert       required, not verified (connection closed right after the handshake if absent)
 *     VerifyClientCertIfGiven    optional; if given it must verify against the client CA (else closed)
 *     RequireAndVerifyClientCert required and verified by OpenSSL during the handshake
 * - webConfig may be a LiveWebConfig: then a reload (LiveWebConfig.reload) changes users, headers and TLS
 *   settings of the running server, and changed certificate/key/CA files are picked up on new connections.
 * - Unless options.auth === false, the handler is wrapped with securityHeadersMiddleware and
 *   basicAuthMiddleware for the same config (protectedHandler), so nothing else needs to be mounted.
 * - Timeouts so idle or slow clients cannot hold connections: TLS handshake, first request, request headers,
 *   whole request, keep-alive idle, socket inactivity; header size/count limits; a connection limit from the
 *   file descriptor limit with idle connections shed first; one request at a time per connection (see
 *   connections.ts).
 * - Plain HTTP to the TLS port gets `400 Client sent an HTTP request to an HTTPS server.`, as Go's
 *   net/http (exporter-toolkit) answers, instead of a silently closed connection (answerPlainHttp).
 */
import http, { type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import tls, { type TLSSocket } from 'node:tls';
import type { Logger } from '../log.js';
import { basicAuthMiddleware, securityHeadersMiddleware, type BasicAuthOptions } from './basic-auth.js';
import { connectionLimitFor, guardConnections, openFilesLimit } from './connections.js';
import { LiveWebConfig } from './live-config.js';
import { TLS_VERSIONS, type WebConfig } from './web-config.js';

export interface WebServerOptions {
  /** Time allowed for the TLS handshake. Default 10 s. */
  handshakeTimeoutMs?: number;
  /** Time allowed to receive the request headers. Default 10 s. */
  headersTimeoutMs?: number;
  /** Time allowed, from connecting, to send a complete first request. Default: headersTimeoutMs. */
  firstRequestTimeoutMs?: number;
  /** Time allowed to receive the whole request. Default 30 s. */
  requestTimeoutMs?: number;
  /** Idle time of a keep-alive connection between requests. Default 5 s (Node's default). */
  keepAliveTimeoutMs?: number;
  /** Socket inactivity timeout, also while a response is being produced. Default 120 s. */
  socketTimeoutMs?: number;
  /** How often Node checks headers/request timeouts. Default 1 s. */
  connectionsCheckingIntervalMs?: number;
  /** Default 8 KiB. */
  maxHeaderSize?: number;
  /** Default 64. */
  maxHeadersCount?: number;
  /** Concurrent connections. Default: from the open files limit (connectionLimitFor). */
  maxConnections?: number;
  /** Wrap the handler with the security-headers and basic-auth middleware. Default true. */
  auth?: boolean;
  basicAuth?: BasicAuthOptions;
  /** Where problems with renewed certificates and failed logins are logged. */
  log?: Logger;
}

/** Build the `tls.createServer` options for a web config with tls_server_config. */
export function tlsServerOptions(webConfig: WebConfig): tls.TlsOptions {
  const t = webConfig.tls;
  if (!t?.material) {
    throw new Error(`web config ${webConfig.file}: TLS material not loaded (use loadWebConfig)`);
  }
  const tls13 = tls.DEFAULT_CIPHERS.split(':').filter((c) => c.startsWith('TLS_'));
  const opts: tls.TlsOptions = {
    cert: t.material.cert,
    key: t.material.key,
    minVersion: TLS_VERSIONS[t.minVersion],
    maxVersion: TLS_VERSIONS[t.maxVersion],
    honorCipherOrder: t.preferServerCipherSuites,
    requestCert: t.clientAuthType !== 'NoClientCert',
    rejectUnauthorized: t.clientAuthType === 'RequireAndVerifyClientCert',
  };
  if (t.material.ca) opts.ca = t.material.ca;
  if (t.ciphers.length > 0) opts.ciphers = [...t.ciphers, ...tls13].join(':');
  if (t.curves.length > 0) opts.ecdhCurve = t.curves.join(':');
  return opts;
}

function hasPeerCert(socket: TLSSocket): boolean {
  const cert = socket.getPeerCertificate();
  return cert !== null && typeof cert === 'object' && Object.keys(cert).length > 0;
}

/**
 * The handler behind the security headers and basic auth of `live`. Build it once and give it to
 * every server of the same exporter (with `auth: false`), so that they share one bcrypt worker,
 * one login queue and cache, and one failed-login log.
 */
export function protectedHandler(handler: RequestListener, live: LiveWebConfig, options: Pick<WebServerOptions, 'basicAuth' | 'log'> = {}): RequestListener {
  const headers = securityHeadersMiddleware(live.current);
  const auth = basicAuthMiddleware(live.current, { log: options.log, ...options.basicAuth });
  return (req: IncomingMessage, res: ServerResponse) => {
    const fail = (err: unknown) => {
      if (err === undefined) return false;
      if (!res.headersSent) res.statusCode = 500;
      res.end();
      return true;
    };
    headers(req, res, (e1) => {
      if (fail(e1)) return;
      auth(req, res, (e2) => {
        if (fail(e2)) return;
        handler(req, res);
      });
    });
  };
}

export function createWebServer(handler: RequestListener, webConfig?: WebConfig | LiveWebConfig, options: WebServerOptions = {}): http.Server | https.Server {
  const live = webConfig instanceof LiveWebConfig ? webConfig : new LiveWebConfig(webConfig);
  const listener = options.auth === false ? handler : protectedHandler(handler, live, options);

  const headersTimeout = options.headersTimeoutMs ?? 10_000;
  const httpOpts: http.ServerOptions = {
    headersTimeout,
    requestTimeout: options.requestTimeoutMs ?? 30_000,
    connectionsCheckingInterval: options.connectionsCheckingIntervalMs ?? 1_000,
    maxHeaderSize: options.maxHeaderSize ?? 8 * 1024,
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 5_000,
  };

  let server: http.Server | https.Server;
  const initial = live.current();
  if (initial?.tls) {
    const https_ = https.createServer({ ...httpOpts, ...tlsServerOptions(initial), handshakeTimeout: options.handshakeTimeoutMs ?? 10_000 });
    server = https_;
    answerPlainHttp(https_);
    // Before node's TLS listener starts the handshake: pick up renewed certificate files and
    // reloaded TLS settings for this and later connections.
    let applied = live.tlsVersion;
    https_.prependListener('connection', () => {
      const err = live.refreshTls();
      if (err) options.log?.error('cannot use the changed TLS certificate files; keeping the previous ones', { err: err.message });
      if (live.tlsVersion === applied) return;
      applied = live.tlsVersion;
      const opts = tlsServerOptions(live.current()!);
      https_.setSecureContext(opts);
      // Not part of the secure context: read by node for each new connection.
      Object.assign(https_, { requestCert: opts.requestCert, rejectUnauthorized: opts.rejectUnauthorized });
    });
    https_.prependListener('secureConnection', (socket: TLSSocket) => {
      const type = live.current()?.tls?.clientAuthType;
      const given = hasPeerCert(socket);
      if (type === 'RequireAnyClientCert' ? !given : type === 'VerifyClientCertIfGiven' && given && !socket.authorized) socket.destroy();
    });
  } else {
    server = http.createServer(httpOpts);
  }
  server.maxHeadersCount = options.maxHeadersCount ?? 64;
  server.setTimeout(options.socketTimeoutMs ?? 120_000, (socket) => socket.destroy());
  const guarded = guardConnections(server, listener, {
    limit: options.maxConnections ?? connectionLimitFor(openFilesLimit()),
    firstRequestMs: options.firstRequestTimeoutMs ?? headersTimeout,
    nextRequestMs: httpOpts.keepAliveTimeout! + headersTimeout,
  });
  server.on('request', guarded);
  return server;
}

/** What Go's net/http writes to a client that speaks plain HTTP to its TLS port, before closing. */
export const PLAIN_HTTP_ANSWER = 'HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n';
/** The first five bytes of a request that Go takes for plain HTTP (net/http, tls.RecordHeaderError). */
const HTTP_STARTS = ['GET /', 'HEAD ', 'POST ', 'PUT /', 'OPTIO'];
/** A TLS record starts with this content type (handshake). */
const TLS_HANDSHAKE = 0x16;

/**
 * Look at the first bytes of every connection before node's TLS listener sees it: a TLS handshake
 * (0x16) goes on to TLS with its bytes put back; what starts like an HTTP request gets
 * PLAIN_HTTP_ANSWER and is closed; anything else is closed. At most five bytes are held; a client that
 * stops sending first is closed by the connection guard's first-request deadline (connections.ts),
 * whose 'connection' listener, like the others added after this, still sees the raw socket first.
 */
function answerPlainHttp(server: https.Server): void {
  const tlsListeners = server.listeners('connection') as ((socket: Socket) => void)[];
  server.removeAllListeners('connection');
  server.on('connection', (socket: Socket) => {
    let head = Buffer.alloc(0);
    const onError = () => socket.destroy();
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      if (head[0] === TLS_HANDSHAKE) {
        socket.off('data', onData);
        socket.off('error', onError);
        socket.pause();
        socket.unshift(head);
        for (const l of tlsListeners) l.call(server, socket);
        return;
      }
      const start = head.subarray(0, 5).toString('latin1');
      if (!HTTP_STARTS.some((h) => h.startsWith(start))) return void socket.destroy();
      if (head.length < 5) return;
      // The rest of the request is read and dropped (closing with unread bytes would reset the connection
      // before the client reads the answer); the guard's deadline ends a client that keeps sending.
      socket.off('data', onData);
      socket.end(PLAIN_HTTP_ANSWER);
    };
    socket.on('error', onError);
    socket.on('data', onData);
  });
}

/** Why `listen` failed, in words, with what to do: the address as given and the flag that sets it (not "EADDRINUSE"). */
export function listenError(address: string, err: unknown): Error {
  const code = (err as NodeJS.ErrnoException)?.code;
  const what: Record<string, string> = {
    EADDRINUSE: 'the address is already in use (by another program, or another klp_exporter)',
    EACCES: 'permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)',
    EADDRNOTAVAIL: 'no network interface of this host has that address',
    ENOTFOUND: 'the host name does not resolve',
    EAI_AGAIN: 'the host name does not resolve',
  };
  const reason = (code && what[code]) ?? (err instanceof Error ? err.message : String(err));
  return new Error(`cannot listen on ${address}: ${reason}; choose another with --web.listen-address`, { cause: err });
}
