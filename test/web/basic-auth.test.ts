import { describe, expect, it } from '@jest/globals';
import express from 'express';
import request from 'supertest';
import bcrypt from 'bcryptjs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '../../src/log.js';
import { basicAuthMiddleware, parseBasicAuth, type BasicAuthOptions, type WebConfig } from '../../src/web/index.js';

const HASH_A = bcrypt.hashSync('secret-a', 4);
const HASH_B = bcrypt.hashSync('secret-b', 4);

function config(users: Record<string, string>): WebConfig {
  return { file: 'test.yml', basicAuthUsers: new Map(Object.entries(users)), headers: {} };
}

/** A compare that counts calls, tracks concurrency and can be held open. */
function countingCompare(delayMs = 0) {
  const stats = { calls: 0, active: 0, maxActive: 0 };
  const compare = async (password: string, hash: string) => {
    stats.calls++;
    stats.active++;
    stats.maxActive = Math.max(stats.maxActive, stats.active);
    try {
      if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
      return bcrypt.compare(password, hash);
    } finally {
      stats.active--;
    }
  };
  return { stats, compare };
}

function appWith(cfg: WebConfig | undefined | (() => WebConfig | undefined), options?: BasicAuthOptions) {
  const app = express();
  app.use(basicAuthMiddleware(cfg, options));
  app.get('/metrics', (_req, res) => {
    res.send('ok');
  });
  app.get('/-/healthy', (_req, res) => {
    res.send('Healthy');
  });
  return app;
}

describe('parseBasicAuth', () => {
  it.each([
    [undefined, undefined],
    ['', undefined],
    ['Bearer abc', undefined],
    ['Basic', undefined],
    ['Basic ' + Buffer.from('nocolon').toString('base64'), undefined],
    ['Basic ' + Buffer.from('user:pa:ss').toString('base64'), { user: 'user', password: 'pa:ss' }],
    ['basic ' + Buffer.from(':').toString('base64'), { user: '', password: '' }],
    ['Basic ' + Buffer.from('ünï:cødé').toString('base64'), { user: 'ünï', password: 'cødé' }],
  ])('%s', (header, expected) => {
    expect(parseBasicAuth(header)).toEqual(expected);
  });
});

describe('basicAuthMiddleware', () => {
  it('passes everything when no users are configured', async () => {
    await request(appWith(undefined)).get('/metrics').expect(200, 'ok');
    await request(appWith(config({})))
      .get('/metrics')
      .expect(200, 'ok');
  });

  it('checks every configured user', async () => {
    const app = appWith(config({ a: HASH_A, b: HASH_B }));
    await request(app).get('/metrics').auth('a', 'secret-a').expect(200);
    await request(app).get('/metrics').auth('b', 'secret-b').expect(200);
    await request(app).get('/metrics').auth('a', 'secret-b').expect(401);
    await request(app).get('/metrics').auth('b', 'secret-a').expect(401);
    // unknown user whose password matches a configured hash (the dummy comparison) is still refused
    await request(app).get('/metrics').auth('c', 'secret-a').expect(401);
    const res = await request(app).get('/metrics').expect(401);
    expect(res.headers['www-authenticate']).toBe('Basic realm="klp_exporter"');
  });

  it('caches successful verifications, not failures, and expires them', async () => {
    let t = 1_000_000;
    const { stats, compare } = countingCompare();
    const app = appWith(config({ a: HASH_A }), { compare, now: () => t, cacheTtlMs: 60_000 });
    for (let i = 0; i < 5; i++) await request(app).get('/metrics').auth('a', 'secret-a').expect(200);
    expect(stats.calls).toBe(1);
    for (let i = 0; i < 3; i++) await request(app).get('/metrics').auth('a', 'wrong').expect(401);
    expect(stats.calls).toBe(4);
    t += 60_001;
    await request(app).get('/metrics').auth('a', 'secret-a').expect(200);
    expect(stats.calls).toBe(5);
  });

  it('an unknown user costs a comparison too (no timing shortcut)', async () => {
    const { stats, compare } = countingCompare();
    const app = appWith(config({ a: HASH_A }), { compare });
    await request(app).get('/metrics').auth('nobody', 'x').expect(401);
    expect(stats.calls).toBe(1);
  });

  it('a changed hash (reload) invalidates cached logins', async () => {
    let cfg = config({ a: HASH_A });
    const app = appWith(() => cfg);
    await request(app).get('/metrics').auth('a', 'secret-a').expect(200);
    cfg = config({ a: HASH_B });
    await request(app).get('/metrics').auth('a', 'secret-a').expect(401);
    await request(app).get('/metrics').auth('a', 'secret-b').expect(200);
  });

  it('runs bcrypt one at a time and answers 429 beyond maxPending', async () => {
    const { stats, compare } = countingCompare(50);
    const app = appWith(config({ a: HASH_A }), { compare, maxPending: 3 });
    const server = app.listen(0, '127.0.0.1');
    try {
      await new Promise((r) => server.once('listening', r));
      const agent = request(server);
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          agent
            .get('/metrics')
            .auth('a', `wrong-${i}`)
            .then((r) => r.status),
        ),
      );
      expect(stats.maxActive).toBe(1);
      expect(results.filter((s) => s === 401).length).toBeGreaterThanOrEqual(3);
      expect(results.filter((s) => s === 429).length).toBeGreaterThanOrEqual(1);
      expect(results.every((s) => s === 401 || s === 429)).toBe(true);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('/-/healthy is open, configurable', async () => {
    const cfg = config({ a: HASH_A });
    await request(appWith(cfg)).get('/-/healthy').expect(200);
    await request(appWith(cfg, { openPaths: [] }))
      .get('/-/healthy')
      .expect(401);
  });

  it('a cached login lives while it is used (each use extends it), so a scraper never logs in again', async () => {
    let t = 1_000_000;
    const { stats, compare } = countingCompare();
    const app = appWith(config({ a: HASH_A }), { compare, now: () => t, cacheTtlMs: 60_000 });
    for (let i = 0; i < 20; i++) {
      await request(app).get('/metrics').auth('a', 'secret-a').expect(200);
      t += 15_000; // a 15 s scrape interval, 5 minutes in all
    }
    expect(stats.calls).toBe(1);
  });

  it('failed logins are logged, at most one line per 10 s with the count', async () => {
    let t = 1_000_000;
    const lines: string[] = [];
    const log = createLogger('info', 'logfmt', (l) => void lines.push(l));
    const app = appWith(config({ a: HASH_A }), { compare: async () => false, now: () => t, log });
    for (let i = 0; i < 30; i++) await request(app).get('/metrics').auth('a', `guess-${i}`).expect(401);
    t += 10_000;
    await request(app).get('/metrics').auth('a', 'guess-last').expect(401);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/level=warn msg="failed login" remote=\S+ user=a failures_since_last_line=1\n$/);
    expect(lines[1]).toMatch(/failures_since_last_line=30/);
  });

  it('the user name of a failed login is quoted once, by the log format (logfmt and JSON), and cut to 64 characters', async () => {
    for (const [format, user, expected] of [
      ['logfmt', 'prometheus', 'user=prometheus '],
      ['logfmt', 'a "b"\tc', 'user="a \\"b\\"\\tc" '],
      ['json', 'prometheus', '"user":"prometheus",'],
      ['json', 'x'.repeat(100), `"user":"${'x'.repeat(64)}",`],
    ] as const) {
      const lines: string[] = [];
      const log = createLogger('info', format, (l) => void lines.push(l));
      const app = appWith(config({ a: HASH_A }), { compare: async () => false, log });
      await request(app).get('/metrics').auth(user, 'wrong').expect(401);
      expect({ format, user, line: lines[0] }).toEqual({ format, user, line: expect.stringContaining(expected) });
    }
  });
});

describe('basic auth under a password-guessing flood (13.5)', () => {
  /** GET /metrics from a given local address (127.0.0.x: all loopback). */
  function get(port: number, from: string, user: string, password: string): Promise<number> {
    return new Promise((resolve) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/metrics', localAddress: from, auth: `${user}:${password}`, agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', () => resolve(0));
    });
  }

  it('a valid client whose login is not cached succeeds while 50 connections guess from elsewhere', async () => {
    // Every check takes 20 ms (bcrypt at a low cost); nothing is cached, so each valid scrape waits for a check.
    const { stats, compare } = countingCompare(20);
    const app = appWith(config({ a: HASH_A }), { compare, cacheTtlMs: 0 });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const port = (server.address() as AddressInfo).port;
    let flooding = true;
    const flood: Record<number, number> = {};
    const attackers = Array.from({ length: 50 }, async (_, i) => {
      for (let n = 0; flooding; n++) {
        const st = await get(port, '127.0.0.2', 'a', `guess-${i}-${n}`);
        flood[st] = (flood[st] ?? 0) + 1;
      }
    });
    try {
      await new Promise((r) => setTimeout(r, 200));
      const valid: number[] = [];
      for (let i = 0; i < 30; i++) valid.push(await get(port, '127.0.0.1', 'a', 'secret-a'));
      expect(valid.filter((st) => st === 200).length).toBe(30);
      // The flood was real: guesses were checked, and the ones beyond the per-client queue refused at once.
      expect(flood[401]).toBeGreaterThan(0);
      expect(flood[429]).toBeGreaterThan(0);
      expect(stats.maxActive).toBe(1);
    } finally {
      flooding = false;
      await Promise.all(attackers);
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  }, 30_000);
});
