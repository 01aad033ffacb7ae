// The HTTP interface: "/" (landing page), "/-/healthy", the telemetry path, and, when enabled,
// POST "/-/reload". Only GET and HEAD elsewhere; everything else is 404 or 405. Never listens
// by itself (see main.ts), so tests can drive it directly. Basic auth and TLS wrap the whole
// handler in src/web/ (createWebServer). express is the one place that defines the routes.

import type { IncomingMessage } from 'node:http';
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

/** The telemetry endpoint: one scrape, at most --web.max-requests at a time. */
function metricsHandler(exporter: Exporter, log: Logger): (req: Request, res: Response) => Promise<void> {
  let inflight = 0;
  return async (req, res) => {
    const cfg = exporter.config;
    if (cfg.web.maxRequests > 0 && inflight >= cfg.web.maxRequests) {
      res.status(503).type('text/plain').send('Too many concurrent scrapes\n');
      return;
    }
    inflight++;
    try {
      // gzip when the client accepts it (Prometheus always asks): express's negotiation of Accept-Encoding.
      const gzip = req.acceptsEncodings('gzip', 'identity') === 'gzip';
      const body = await exporter.metricsBody(scrapeTimeoutMs(req, cfg.scrape.timeoutMs, cfg.scrape.timeoutOffsetMs), { gzip });
      res.set({ 'Content-Type': METRICS_CONTENT_TYPE, 'Cache-Control': 'no-store', Vary: 'Accept-Encoding' });
      if (gzip) res.set('Content-Encoding', 'gzip');
      res.send(body);
    } catch (err) {
      log.error('scrape failed', { err: err instanceof Error ? err.message : String(err) });
      res.status(500).type('text/plain').send('An error occurred while collecting metrics; see the exporter log.\n');
    } finally {
      inflight--;
    }
  };
}

/** An express app with the exporter's settings (the benchmark's minimal express app uses them too). */
export function expressApp(): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('query parser', false);
  // Exactly the configured paths: Express matches "/METRICS" and "/metrics/" otherwise.
  app.set('case sensitive routing', true);
  app.set('strict routing', true);
  return app;
}

export function createApp(opts: AppOptions): express.Express {
  const { exporter, log } = opts;
  const info = readBuildInfo();
  const app = expressApp();

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
    // A reload takes no body: a request that carries one is refused (413) like everywhere else.
    app.all('/-/reload', only(['POST', 'PUT']), noBody, async (_req, res) => {
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
  return app;
}
