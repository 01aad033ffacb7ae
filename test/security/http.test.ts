// The HTTP surface, as an attacker on the network sees it: only the configured paths, GET/HEAD
// only, no bodies, bounded request lines and headers, security headers on the landing page, and
// errors that never echo internal paths or stack traces.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { Exporter } from '../../src/exporter.js';
import { createLogger } from '../../src/log.js';
import { createApp } from '../../src/server/app.js';
import { freePort } from '../helpers/as-user.js';
import { startProcess, type ExporterProcess } from '../helpers/exporter-process.js';
import { GOLDEN_BUILD_INFO, loadScenario, PROJECT, scenarioArgs, scenarioConfig, startInProcess, type RunningExporter } from '../helpers/fixture-host.js';

const s = loadScenario('sles15sp6-patched');

/** One raw HTTP/1.1 exchange: what the server answers to exactly these bytes. */
function raw(url: string, request: string, timeoutMs = 5000): Promise<string> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const sock = net.connect(Number(port), '127.0.0.1', () => sock.write(request));
    let data = '';
    sock.on('data', (d) => (data += d.toString('latin1')));
    sock.on('end', () => resolve(data));
    sock.on('error', (e) => (data ? resolve(data) : reject(e)));
    sock.setTimeout(timeoutMs, () => {
      sock.destroy();
      resolve(data);
    });
  });
}

/** Nothing in a response body that tells an attacker about the machine or the code. */
function expectNoInternals(body: string): void {
  expect(body).not.toContain(PROJECT);
  expect(body).not.toMatch(/\/(work|home|root|tmp|usr|etc)\//);
  expect(body).not.toMatch(/\bat .*\(.*:\d+:\d+\)|node:internal|Error:|TypeError|ENOENT|EACCES/);
}

describe('HTTP surface (in process)', () => {
  let r: RunningExporter;
  beforeAll(async () => {
    r = await startInProcess(s);
  });
  afterAll(() => r.close());

  it.each(['/metrics', '/metrics?x=1', '/', '/-/healthy'])('GET %s is served', async (p) => {
    expect((await fetch(r.url + p)).status).toBe(200);
  });

  it.each([
    '/metrics/',
    '/METRICS',
    '/Metrics',
    '/metrics/x',
    '//metrics',
    '/-/healthy/',
    '/-/HEALTHY',
    '/-/reload',
    '/index.html',
    '/favicon.ico',
    '/package.json',
    '/dist/main.js',
    '/src/main.ts',
    '/../../../etc/passwd',
    '/%2e%2e/%2e%2e/etc/passwd',
    '/metrics%00',
    '/.git/config',
    '/debug/pprof',
  ])('%s is 404', async (p) => {
    const res = await raw(r.url, `GET ${p} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    expect(res).toMatch(/^HTTP\/1\.1 404 /);
    expectNoInternals(res);
  });

  it.each(['/', '/metrics', '/-/healthy'])('other methods on %s are 405 with Allow', async (p) => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'PROPFIND']) {
      const res = await raw(r.url, `${method} ${p} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
      expect(`${method} ${res.split('\r\n')[0]}`).toBe(`${method} HTTP/1.1 405 Method Not Allowed`);
      expect(res).toMatch(/\r\nAllow: GET, HEAD\r\n/i);
    }
  });

  it('HEAD /metrics has no body', async () => {
    const res = await fetch(`${r.url}/metrics`, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
  });

  it.each([
    ['Content-Length', 'Content-Length: 5\r\n\r\nhello'],
    ['chunked', 'Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n'],
  ])('a request body (%s) is refused with 413 and the connection closed', async (_n, rest) => {
    for (const p of ['/', '/metrics', '/-/healthy']) {
      const started = Date.now();
      const res = await raw(r.url, `GET ${p} HTTP/1.1\r\nHost: x\r\n${rest}`);
      expect(res).toMatch(/^HTTP\/1\.1 413 /);
      expect(Date.now() - started).toBeLessThan(2000);
    }
  });

  it('a body that is announced but never sent gets 413 at once and the connection is closed', async () => {
    const started = Date.now();
    const res = await raw(r.url, 'GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n');
    expect(res).toMatch(/^HTTP\/1\.1 413 /);
    expect(res).toMatch(/\r\nConnection: close\r\n/i);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('the landing page carries the security headers', async () => {
    const res = await fetch(`${r.url}/`);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('x-powered-by')).toBeNull();
  });

  it.each(['abc', '-1', '0', 'NaN', 'Infinity', '1e309', '0x10', '', ' 2 ', '99999999999'])('X-Prometheus-Scrape-Timeout-Seconds %j is harmless', async (v) => {
    const res = await fetch(`${r.url}/metrics`, { headers: { 'X-Prometheus-Scrape-Timeout-Seconds': v } });
    expect(res.status).toBe(200);
  });

  it.each(['/%', '/metrics%', '/%E0%A4%A', '/%ff', '/\u00e9'])('a malformed URL %j gets a plain error without internals', async (p) => {
    const res = await raw(r.url, `GET ${p} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    expect(res).toMatch(/^HTTP\/1\.1 (400|404) /);
    expectNoInternals(res);
  });
});

describe('errors never echo internals', () => {
  async function serve(opts: { failScrape?: boolean; reloadError?: string }) {
    const { config, now } = scenarioConfig([...scenarioArgs(s), '--web.enable-lifecycle']);
    const logs: string[] = [];
    const log = createLogger('debug', 'logfmt', (l) => void logs.push(l));
    const exporter = await Exporter.create(config, log, { buildInfo: GOLDEN_BUILD_INFO, now });
    if (opts.failScrape) {
      exporter.metricsBody = async () => {
        throw new Error(`ENOENT: no such file, open '${PROJECT}/secret/path'`);
      };
    }
    const server = http.createServer(createApp({ exporter, log, reload: async () => opts.reloadError }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const close = () => {
      exporter.close();
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    };
    return { url, logs, close };
  }

  it('a failed scrape answers 500 with a generic message; the details go to the log', async () => {
    const srv = await serve({ failScrape: true });
    try {
      const res = await fetch(`${srv.url}/metrics`);
      expect(res.status).toBe(500);
      expectNoInternals(await res.text());
      expect(srv.logs.join('\n')).toContain('secret/path');
    } finally {
      await srv.close();
    }
  });

  it('a failed reload answers 500 without the config error (which names files); the log has it', async () => {
    const srv = await serve({ reloadError: `/etc/klp_exporter/config.yml: unknown key web.secret` });
    try {
      const res = await fetch(`${srv.url}/-/reload`, { method: 'POST' });
      expect(res.status).toBe(500);
      const body = await res.text();
      expect(body).not.toContain('/etc/klp_exporter');
      expectNoInternals(body);
    } finally {
      await srv.close();
    }
  });
});

describe('request size limits (real process)', () => {
  let p: ExporterProcess;
  beforeAll(async () => {
    p = await startProcess(scenarioArgs(s), await freePort());
  });
  afterAll(() => p.stop());

  it('a 20 KB URL is refused (431) without taking the server down', async () => {
    const res = await raw(p.url, `GET /metrics?${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    expect(res).toMatch(/^HTTP\/1\.1 431 /);
    expect((await fetch(`${p.url}/-/healthy`)).status).toBe(200);
  });

  it('20 KB of headers are refused (431)', async () => {
    const headers = Array.from({ length: 200 }, (_, i) => `X-Pad-${i}: ${'b'.repeat(100)}`).join('\r\n');
    const res = await raw(p.url, `GET /metrics HTTP/1.1\r\nHost: x\r\n${headers}\r\n\r\n`);
    expect(res).toMatch(/^HTTP\/1\.1 431 /);
    expect((await fetch(`${p.url}/-/healthy`)).status).toBe(200);
  });

  it('garbage instead of HTTP gets 400 and a closed connection', async () => {
    const res = await raw(p.url, '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not http at all\r\n\r\n');
    expect(res).toMatch(/^HTTP\/1\.1 400 /);
    expectNoInternals(res);
  });
});
