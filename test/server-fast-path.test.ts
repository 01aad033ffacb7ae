// The server answers plain scrapes of the telemetry path without express's router
// (createHandler); everything else goes through the express app (createApp). Both must answer
// the same: status, the headers that matter and the body.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Exporter } from '../src/exporter.js';
import { silentLogger } from '../src/log.js';
import { createApp, createHandler } from '../src/server/app.js';
import { GOLDEN_BUILD_INFO, loadScenario, normalizeScrape, scenarioArgs, scenarioConfig } from './helpers/fixture-host.js';

interface Answer {
  status: number;
  headers: Record<string, string | undefined>;
  body: string;
  lengthOk: boolean;
}

function request(port: number, method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => {
        // Content-Length varies with the collector durations in the body: checked against the body.
        const pick = ['content-type', 'cache-control', 'allow', 'x-powered-by', 'etag', 'transfer-encoding'];
        const length = res.headers['content-length'];
        const lengthOk = method === 'HEAD' ? length !== undefined : length === String(Buffer.byteLength(text));
        resolve({ status: res.statusCode ?? 0, headers: Object.fromEntries(pick.map((h) => [h, res.headers[h] as string | undefined])), body: normalizeScrape(text), lengthOk });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function listen(handler: http.RequestListener): Promise<http.Server> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

describe('telemetry fast path', () => {
  let exporter: Exporter;
  let fast: http.Server;
  let slow: http.Server;
  const port = (s: http.Server) => (s.address() as AddressInfo).port;

  beforeAll(async () => {
    const { config, now } = scenarioConfig(scenarioArgs(loadScenario('sles15sp6-patched')));
    exporter = await Exporter.create(config, silentLogger, { buildInfo: GOLDEN_BUILD_INFO, now });
    await exporter.warmUp();
    fast = await listen(createHandler({ exporter, log: silentLogger }));
    slow = await listen(createApp({ exporter, log: silentLogger }));
  });

  afterAll(async () => {
    exporter.close();
    for (const s of [fast, slow]) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
  });

  const cases: { method: string; path: string; body?: string; headers?: Record<string, string> }[] = [
    { method: 'GET', path: '/metrics' },
    { method: 'HEAD', path: '/metrics' },
    { method: 'GET', path: '/metrics?debug=1' },
    { method: 'GET', path: '/metrics/' },
    { method: 'GET', path: '/METRICS' },
    { method: 'POST', path: '/metrics' },
    { method: 'GET', path: '/metrics', body: 'a body', headers: { 'Content-Type': 'text/plain', 'Content-Length': '6' } },
    { method: 'GET', path: '/metrics', headers: { 'X-Prometheus-Scrape-Timeout-Seconds': '10' } },
    { method: 'GET', path: '/' },
    { method: 'GET', path: '/nope' },
  ];

  it.each(cases)('$method $path answers the same with and without express', async ({ method, path, body, headers }) => {
    const a = await request(port(fast), method, path, body, headers);
    const b = await request(port(slow), method, path, body, headers);
    expect(a).toEqual(b);
    expect(a.lengthOk).toBe(true);
    // Routing is strict and case-sensitive: only /metrics itself (with or without a query) is the telemetry path.
    if (method !== 'POST' && /^\/metrics(\?|$)/.test(path) && !body) expect(a.status).toBe(200);
    if (path === '/metrics/' || path === '/METRICS') expect(a.status).toBe(404);
  });

  it('serves the golden scrape on the fast path', async () => {
    const a = await request(port(fast), 'GET', '/metrics');
    expect(a.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(a.body).toContain('klp_livepatch_state{state="patched"} 1');
  });
});
