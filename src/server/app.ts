// The HTTP interface: "/" (landing page), "/-/healthy", the telemetry path, and, when enabled,
// POST "/-/reload". Only GET and HEAD elsewhere; everything else is 404 or 405. Never listens
// by itself (see main.ts), so tests can drive it directly. Basic auth and TLS wrap the whole
// handler in src/web/ (createWebServer).
//
// createHandler() is what the server runs: a plain GET or HEAD of exactly the telemetry path
// (no body) is answered without going through express's router, which
// otherwise costs more than the scrape itself; everything else goes to the express app. Both
// paths answer the same status, headers and body (see test/server-fast-path.test.ts).

import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import { readBuildInfo } from '../build-info.js';
import type { Exporter } from '../exporter.js';
import type { Logger } from '../log.js';
import { landingPage } from './landing.js';

export interface AppOptions {
  readonly exporter: Exporter;
  readonly log: Logger;
  /** Called by POST /-/reload (only routed when --web.enable-lifecycle). Resolves to an error message or undefined. */
  readonly reload?: () => Promise<string | undefined>;
}

const SECURITY_HEADERS: Record<string, string> = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'",
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

/** Scrape deadline: the configured timeout, or the Prometheus header minus the offset when shorter. */
export function scrapeTimeoutMs(req: IncomingMessage, configuredMs: number, offsetMs: number): number {
  const header = req.headers['x-prometheus-scrape-timeout-seconds'];
  const seconds = typeof header === 'string' ? Number(header) : NaN;
  if (Number.isFinite(seconds) && seconds > 0) {
    return Math.max(100, Math.min(configuredMs, seconds * 1000 - offsetMs));
  }
  return configuredMs;
}

const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Answer with a plain-text body (what express's res.type('text/plain').send(text) sends). */
function sendText(req: IncomingMessage, res: ServerResponse, status: number, contentType: string, text: string | Buffer, extra?: Record<string, string>): void {
  res.statusCode = status;
  if (extra) for (const [k, v] of Object.entries(extra)) res.setHeader(k, v);
  res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(req.method === 'HEAD' ? undefined : text);
}

/** The telemetry endpoint: one scrape, shared by the express route and the fast path. */
function metricsHandler(exporter: Exporter, log: Logger): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  let inflight = 0;
  return async (req, res) => {
    const cfg = exporter.config;
    if (cfg.web.maxRequests > 0 && inflight >= cfg.web.maxRequests) {
      sendText(req, res, 503, 'text/plain; charset=utf-8', 'Too many concurrent scrapes\n');
      return;
    }
    inflight++;
    try {
      // gzip when the client accepts it (Prometheus always asks): express's negotiation of Accept-Encoding.
      const gzip = express.request.acceptsEncodings.call(req, 'gzip', 'identity') === 'gzip';
      const body = await exporter.metricsBody(scrapeTimeoutMs(req, cfg.scrape.timeoutMs, cfg.scrape.timeoutOffsetMs), { gzip });
      const headers: Record<string, string> = { 'Cache-Control': 'no-store', Vary: 'Accept-Encoding' };
      if (gzip) headers['Content-Encoding'] = 'gzip';
      sendText(req, res, 200, METRICS_CONTENT_TYPE, body, headers);
    } catch (err) {
      log.error('scrape failed', { err: err instanceof Error ? err.message : String(err) });
      sendText(req, res, 500, 'text/plain; charset=utf-8', 'An error occurred while collecting metrics; see the exporter log.\n');
    } finally {
      inflight--;
    }
  };
}

export function createApp(opts: AppOptions): express.Express {
  return build(opts).app;
}

/**
 * The request listener for the server: plain scrapes of the telemetry path directly, the rest
 * through the express app of createApp().
 */
export function createHandler(opts: AppOptions): RequestListener {
  const { app, metrics } = build(opts);
  const path = opts.exporter.config.web.telemetryPath;
  return (req, res) => {
    const url = req.url ?? '';
    const q = url.indexOf('?');
    if (
      (req.method === 'GET' || req.method === 'HEAD') &&
      (q === -1 ? url : url.slice(0, q)) === path &&
      (req.headers['content-length'] === undefined || req.headers['content-length'] === '0') &&
      req.headers['transfer-encoding'] === undefined
    ) {
      metrics(req, res).catch((err: unknown) => {
        opts.log.error('request failed', { err: err instanceof Error ? err.message : String(err) });
        if (!res.headersSent) sendText(req, res, 500, 'text/plain; charset=utf-8', 'Internal Server Error\n');
      });
      return;
    }
    app(req, res);
  };
}

function build(opts: AppOptions): { app: express.Express; metrics: (req: IncomingMessage, res: ServerResponse) => Promise<void> } {
  const { exporter, log } = opts;
  const info = readBuildInfo();
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('query parser', false);
  // Exactly the configured paths: Express matches "/METRICS" and "/metrics/" otherwise.
  app.set('case sensitive routing', true);
  app.set('strict routing', true);

  const only = (methods: string[]) => (req: Request, res: Response, next: NextFunction) => {
    if (methods.includes(req.method)) return next();
    res.set('Allow', methods.join(', ')).status(405).type('text/plain').send('Method Not Allowed\n');
  };
  const noBody = (req: Request, res: Response, next: NextFunction) => {
    const len = req.get('Content-Length');
    if ((len !== undefined && len !== '0') || req.get('Transfer-Encoding') !== undefined) {
      // Close the connection: a body that is announced but never sent must not keep it open
      // until the request timeout, and what follows a refused body is not read as a request.
      res.set('Connection', 'close').status(413).type('text/plain').send('Request bodies are not accepted\n');
      req.resume();
      return;
    }
    next();
  };

  app.all('/-/healthy', only(['GET', 'HEAD']), noBody, (_req, res) => {
    res.set(SECURITY_HEADERS).type('text/plain').send('Healthy\n');
  });

  const metrics = metricsHandler(exporter, log);
  const metricsPath = exporter.config.web.telemetryPath;
  app.all(metricsPath, only(['GET', 'HEAD']), noBody, (req, res) => metrics(req, res));

  app.all('/', only(['GET', 'HEAD']), noBody, (_req, res) => {
    res.set(SECURITY_HEADERS).type('text/html; charset=utf-8').send(landingPage(info, metricsPath));
  });

  if (exporter.config.web.enableLifecycle && opts.reload) {
    const reload = opts.reload;
    app.all('/-/reload', only(['POST', 'PUT']), async (_req, res) => {
      // The reason (it names files) is in the log, not in the answer.
      const error = await reload();
      if (error) res.status(500).type('text/plain').send('Failed to reload config; see the exporter log.\n');
      else res.type('text/plain').send('Reloaded\n');
    });
  }

  app.use((_req: Request, res: Response) => {
    res.status(404).type('text/plain').send('Not Found\n');
  });
  // Errors never echo internals to the client.
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    log.error('request failed', { err: err instanceof Error ? err.message : String(err) });
    if (!res.headersSent) res.status(500).type('text/plain').send('Internal Server Error\n');
  });
  return { app, metrics };
}
