// Connection hygiene of createWebServer (issue 13.3, 13.4): the connection limit from the open
// files limit, idle sockets closed and shed first, one request per connection at a time.
// Real servers on 127.0.0.1; every socket and server is closed by the test that opened it.

import { afterEach, describe, expect, it } from '@jest/globals';
import express from 'express';
import http from 'node:http';
import net from 'node:net';
import { connectionLimitFor, createWebServer, openFilesLimit, type WebServerOptions } from '../../src/web/index.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const servers: http.Server[] = [];
const sockets: net.Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

/** A server whose /slow answers after `ms`; counts requests in progress. */
async function start(options: WebServerOptions, ms = 200) {
  const stats = { inProgress: 0, maxInProgress: 0 };
  const app = express();
  app.get('/slow', (_req, res) => {
    stats.inProgress++;
    stats.maxInProgress = Math.max(stats.maxInProgress, stats.inProgress);
    setTimeout(() => {
      stats.inProgress--;
      res.type('text/plain').send('done\n');
    }, ms);
  });
  app.get('/-/healthy', (_req, res) => void res.send('Healthy\n'));
  const server = createWebServer(app, undefined, options) as http.Server;
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as net.AddressInfo).port, stats, server };
}

function idleSocket(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => resolve(s));
    s.on('error', () => undefined);
    s.once('error', reject);
    sockets.push(s);
  });
}

function get(port: number, path = '/-/healthy'): Promise<number | string> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false, timeout: 5000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve(e.message));
  });
}

describe('the connection limit', () => {
  it('comes from the open files limit of the process, with a reserve', () => {
    expect(openFilesLimit('Limit Soft Limit Hard Limit Units\nMax open files            1024                 524288               files     \n')).toBe(1024);
    expect(openFilesLimit('Max open files            unlimited            unlimited            files     \n')).toBe(Infinity);
    expect(openFilesLimit()).toBeGreaterThan(0); // this process's
    expect(connectionLimitFor(1024)).toBe(896);
    expect(connectionLimitFor(20_000)).toBe(16_384);
    expect(connectionLimitFor(100)).toBe(32);
    expect(connectionLimitFor(undefined)).toBe(1024);
  });
});

describe('idle connections (13.3)', () => {
  it('a socket that sends nothing is closed after the first-request timeout', async () => {
    const { port } = await start({ firstRequestTimeoutMs: 300 });
    const s = await idleSocket(port);
    const closed = new Promise<number>((resolve) => {
      const t0 = Date.now();
      s.once('close', () => resolve(Date.now() - t0));
    });
    expect(await closed).toBeLessThan(2000);
  });

  it('at the limit, idle sockets are shed (oldest first) and a new client is served', async () => {
    const LIMIT = 40;
    const { port, server } = await start({ maxConnections: LIMIT, firstRequestTimeoutMs: 60_000 });
    const idle: net.Socket[] = [];
    for (let i = 0; i < LIMIT; i++) idle.push(await idleSocket(port));
    await sleep(100);
    const closed = idle.map((s) => new Promise<boolean>((r) => (s.destroyed ? r(true) : s.once('close', () => r(true)))));
    // The attacker holds every slot; a client still gets its answer.
    for (let i = 0; i < 5; i++) expect(await get(port)).toBe(200);
    // The oldest idle sockets were the ones shed.
    await Promise.race([closed[0], sleep(1000)]);
    expect(idle[0]!.destroyed).toBe(true);
    expect(idle[LIMIT - 1]!.destroyed).toBe(false);
    const count = await new Promise<number>((r) => server.getConnections((_e, n) => r(n)));
    expect(count).toBeLessThanOrEqual(LIMIT);
  });

  it('a connection with a request in progress is never shed', async () => {
    const LIMIT = 20;
    const { port } = await start({ maxConnections: LIMIT, firstRequestTimeoutMs: 60_000 }, 800);
    const slow = get(port, '/slow');
    await sleep(100);
    for (let i = 0; i < LIMIT * 2; i++) await idleSocket(port);
    expect(await slow).toBe(200);
  });
});

describe('pipelining (13.4)', () => {
  it('one connection has at most one request in progress; its pipelined requests are answered in order', async () => {
    const { port, stats } = await start({}, 100);
    const s = await idleSocket(port);
    let got = '';
    s.on('data', (d) => (got += d.toString('latin1')));
    s.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(5));
    const until = Date.now() + 5000;
    while ((got.match(/HTTP\/1\.1 200/g) ?? []).length < 5 && Date.now() < until) await sleep(20);
    expect((got.match(/HTTP\/1\.1 200/g) ?? []).length).toBe(5);
    expect(stats.maxInProgress).toBe(1);
  });

  it('more than 64 waiting requests on one connection close it', async () => {
    const { port } = await start({}, 50);
    const s = await idleSocket(port);
    const closed = new Promise<void>((r) => s.once('close', () => r()));
    s.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(200));
    await closed;
    expect(s.destroyed).toBe(true);
  });
});
