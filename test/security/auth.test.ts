// Basic auth and the web config file, from the attacker's side: hostile web config text, every
// path but /-/healthy locked, brute force that neither crashes nor slows the server, and
// successful logins that do not cost a bcrypt each (with the cost itself bounded).

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import bcrypt from 'bcryptjs';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { MAX_BCRYPT_COST, parseWebConfig, WebConfigError } from '../../src/web/index.js';
import { freePort } from '../helpers/as-user.js';
import { startProcess, type ExporterProcess } from '../helpers/exporter-process.js';
import { loadScenario, PROJECT, scenarioArgs } from '../helpers/fixture-host.js';
import { hostileTextUpTo, RUN_BUDGET_MS, RUNS, withinBudget } from '../hostile/arbitraries.js';

const WEB_FIXTURES = path.join(PROJECT, 'test/fixtures/web');

describe('web config parser on hostile input (fast-check, 10,000 runs)', () => {
  it('returns a config or throws a WebConfigError, never anything else, never slowly', () => {
    const samples = readdirSync(WEB_FIXTURES)
      .filter((f) => f.endsWith('.yml'))
      .map((f) => readFileSync(path.join(WEB_FIXTURES, f), 'utf8'))
      .filter((t) => t.length > 0);
    // Nesting stays below the YAML parser's recursion limit here; deeper input is the known bug below.
    const text = hostileTextUpTo(5_000, ...samples);
    fc.assert(
      fc.property(text, (t) => {
        withinBudget(
          () => {
            try {
              parseWebConfig(t, { file: 'web.yml', dir: '/etc/klp_exporter' });
            } catch (err) {
              if (!(err instanceof WebConfigError)) throw new Error(`threw ${String(err)}`);
            }
          },
          RUN_BUDGET_MS + t.length * 0.1,
        );
      }),
      { numRuns: RUNS, endOnFailure: true },
    );
  });

  // A deeply nested document used to end the process with a V8 fatal error on the second parse;
  // src/config/yaml-shape.ts refuses such files before the YAML parser sees them.
  it('deeply nested web configs are refused without crashing the process', () => {
    const script = `
      import { parseWebConfig } from ${JSON.stringify(path.join(PROJECT, 'dist/web/web-config.js'))};
      for (const n of [100, 1000, 2000, 5000]) {
        try { parseWebConfig('['.repeat(n) + ']'.repeat(n), { file: 'w.yml', dir: '/tmp' }); console.log('accepted'); }
        catch (e) { console.log(e.constructor.name); }
      }`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(['WebConfigError', 'WebConfigError', 'WebConfigError', 'WebConfigError']);
  });

  it(`bcrypt hashes above cost ${MAX_BCRYPT_COST} are refused at load time`, () => {
    const hash = `$2b$${MAX_BCRYPT_COST + 1}$${'a'.repeat(53)}`;
    expect(() => parseWebConfig(`basic_auth_users:\n  u: "${hash}"\n`, { file: 'w.yml', dir: '/' })).toThrow(WebConfigError);
    expect(() => parseWebConfig(`basic_auth_users:\n  u: "$2b$31$${'a'.repeat(53)}"\n`, { file: 'w.yml', dir: '/' })).toThrow(/cost/);
  });
});

describe('basic auth on a running exporter', () => {
  const USER = 'prometheus';
  const PASSWORD = 'correct horse battery staple';
  let dir: string;
  let p: ExporterProcess;
  let good: Record<string, string>;
  const auth = (user: string, password: string) => ({ Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'klp-auth-'));
    // Cost 12: ~0.3 s per verification in bcryptjs, so a missing cache would show.
    const hash = bcrypt.hashSync(PASSWORD, 12);
    const target = bcrypt.hashSync('not guessed', 10); // the brute-force target: cost 10, ~75 ms a try
    const web = path.join(dir, 'web.yml');
    writeFileSync(web, `basic_auth_users:\n  ${USER}: "${hash}"\n  scraper: "${target}"\n`);
    p = await startProcess(scenarioArgs(loadScenario('sles15sp6-patched'), ['--web.config.file', web, '--web.enable-lifecycle']), await freePort());
    good = auth(USER, PASSWORD);
  }, 30_000);
  afterAll(async () => {
    await p?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('every path but /-/healthy needs credentials, even ones that do not exist', async () => {
    for (const [method, p2] of [
      ['GET', '/'],
      ['GET', '/metrics'],
      ['HEAD', '/metrics'],
      ['GET', '/METRICS'],
      ['GET', '/nope'],
      ['GET', '/-/healthy/'],
      ['POST', '/-/reload'],
      ['DELETE', '/metrics'],
    ] as const) {
      const res = await fetch(`${p.url}${p2}`, { method });
      expect(`${method} ${p2} ${res.status}`).toBe(`${method} ${p2} 401`);
      expect(res.headers.get('www-authenticate')).toBe('Basic realm="klp_exporter"');
      await res.arrayBuffer();
    }
    expect((await fetch(`${p.url}/-/healthy`)).status).toBe(200);
    expect((await fetch(`${p.url}/metrics`, { headers: good })).status).toBe(200);
    expect((await fetch(`${p.url}/metrics`, { headers: auth(USER, 'wrong') })).status).toBe(401);
    expect((await fetch(`${p.url}/metrics`, { headers: auth('root', PASSWORD) })).status).toBe(401);
    expect((await fetch(`${p.url}/metrics`, { headers: { Authorization: 'Basic !!!' } })).status).toBe(401);
  });

  it('successful logins are cached: 50 scrapes cost far less than 50 bcrypt verifications', async () => {
    expect((await fetch(`${p.url}/metrics`, { headers: good })).status).toBe(200); // verified once
    const started = Date.now();
    for (let i = 0; i < 50; i++) {
      const res = await fetch(`${p.url}/metrics`, { headers: good });
      expect(res.status).toBe(200);
      await res.text();
    }
    expect(Date.now() - started).toBeLessThan(5000); // uncached: 50 × ~0.3 s
  });

  /** One brute-force run against user "scraper" while "prometheus" (cached) scrapes; shared by two tests. */
  let attack: Promise<{ statuses: Record<string, number>; latencies: number[]; legit: Record<string, number> }> | undefined;
  const bruteForce = () =>
    (attack ??= (async () => {
      let attackerDone = false;
      const statuses: Record<string, number> = {};
      const legit: Record<string, number> = {};
      const attacker = (async () => {
        for (let wave = 0; wave < 2; wave++) {
          const answers = await Promise.all(
            Array.from({ length: 30 }, (_, i) =>
              fetch(`${p.url}/metrics`, { headers: auth('scraper', `guess-${wave}-${i}`) }).then(
                async (r) => (await r.arrayBuffer(), r.status),
                () => 0,
              ),
            ),
          );
          for (const st of answers) statuses[st] = (statuses[st] ?? 0) + 1;
        }
        attackerDone = true;
      })();
      const latencies: number[] = [];
      while (!attackerDone) {
        const started = Date.now();
        const res = await fetch(`${p.url}/metrics`, { headers: good });
        legit[res.status] = (legit[res.status] ?? 0) + 1;
        await res.text();
        latencies.push(Date.now() - started);
        await new Promise((r) => setTimeout(r, 50));
      }
      await attacker;
      return { statuses, latencies, legit };
    })());

  it('a brute-force run does not crash the server or fail an authenticated scrape', async () => {
    const { statuses, latencies, legit } = await bruteForce();
    // Wrong passwords get 401, or 429 when too many wait for a bcrypt slot; nothing else.
    expect(statuses['401']).toBeGreaterThan(0);
    for (const st of Object.keys(statuses)) expect(['401', '429']).toContain(st);
    expect(Object.keys(legit)).toEqual(['200']);
    expect(latencies.length).toBeGreaterThan(0);
    process.stdout.write(`brute force: ${JSON.stringify(statuses)}; authenticated scrapes meanwhile took ${latencies.join(', ')} ms\n`);
    expect(Math.max(...latencies)).toBeLessThan(10_000); // the default scrape timeout
    expect(p.child.exitCode).toBeNull();
    expect((await fetch(`${p.url}/-/healthy`)).status).toBe(200);
  }, 60_000);

  // bcryptjs is pure JavaScript: on the main thread its 100 ms slices stalled scrapes for seconds
  // during a brute-force run. src/web/bcrypt-worker.ts verifies in a worker thread.
  it('a brute-force run does not slow an authenticated scrape (under 1 s)', async () => {
    const { latencies } = await bruteForce();
    expect(Math.max(...latencies)).toBeLessThan(1000);
  }, 60_000);
});
