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
 * - Unless options.auth === false, the handler is wrapped with securityHeadersMiddleware and
 *   basicAuthMiddleware for the same config, so nothing else needs to be mounted.
 * - Timeouts so idle or slow clients cannot hold connections: TLS handshake, request headers, whole request,
 *   keep-alive idle, socket inactivity; header size/count limits; a connection cap.
 */
import http, { type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import https from 'node:https';
import tls, { type TLSSocket } from 'node:tls';
import { basicAuthMiddleware, securityHeadersMiddleware, type BasicAuthOptions, type WebConfigSource } from './basic-auth.js';
import { TLS_VERSIONS, type WebConfig } from './web-config.js';

export interface WebServerOptions {
  /** Time allowed for the TLS handshake. Default 10 s. */
  handshakeTimeoutMs?: number;
  /** Time allowed to receive the request headers. Default 10 s. */
  headersTimeoutMs?: number;
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
  /** Concurrent connections; further ones are dropped. Default 256. */
  maxConnections?: number;
  /** Wrap the handler with the security-headers and basic-auth middleware. Default true. */
  auth?: boolean;
  basicAuth?: BasicAuthOptions;
  /**
   * Where the wrapped middleware reads the config from. Default: the webConfig argument. Pass a getter to let
   * a reload swap basic_auth_users/headers (TLS material is fixed for the server's lifetime).
   */
  configSource?: WebConfigSource;
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

export function createWebServer(
  handler: RequestListener,
  webConfig?: WebConfig,
  options: WebServerOptions = {},
): http.Server | https.Server {
  const source = options.configSource ?? webConfig;
  let listener: RequestListener = handler;
  if (options.auth !== false) {
    const headers = securityHeadersMiddleware(source);
    const auth = basicAuthMiddleware(source, options.basicAuth);
    listener = (req: IncomingMessage, res: ServerResponse) => {
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

  const httpOpts: http.ServerOptions = {
    headersTimeout: options.headersTimeoutMs ?? 10_000,
    requestTimeout: options.requestTimeoutMs ?? 30_000,
    connectionsCheckingInterval: options.connectionsCheckingIntervalMs ?? 1_000,
    maxHeaderSize: options.maxHeaderSize ?? 8 * 1024,
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 5_000,
  };

  let server: http.Server | https.Server;
  if (webConfig?.tls) {
    const t = webConfig.tls;
    server = https.createServer(
      { ...httpOpts, ...tlsServerOptions(webConfig), handshakeTimeout: options.handshakeTimeoutMs ?? 10_000 },
      listener,
    );
    if (t.clientAuthType === 'RequireAnyClientCert' || t.clientAuthType === 'VerifyClientCertIfGiven') {
      server.prependListener('secureConnection', (socket: TLSSocket) => {
        const given = hasPeerCert(socket);
        if (t.clientAuthType === 'RequireAnyClientCert' ? !given : given && !socket.authorized) socket.destroy();
      });
    }
  } else {
    server = http.createServer(httpOpts, listener);
  }
  server.keepAliveTimeout = options.keepAliveTimeoutMs ?? 5_000;
  server.headersTimeout = options.headersTimeoutMs ?? 10_000;
  server.requestTimeout = options.requestTimeoutMs ?? 30_000;
  server.maxHeadersCount = options.maxHeadersCount ?? 64;
  server.maxConnections = options.maxConnections ?? 256;
  server.setTimeout(options.socketTimeoutMs ?? 120_000, (socket) => socket.destroy());
  return server;
}
