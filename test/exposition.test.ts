// The exposition the exporter serves, written by prom-client: a fresh registry per rendering (so
// what the host no longer has disappears), one rendering and one compression shared by the scrapes
// of a collection, and prom-client's process metrics without the event-loop delay timer.

import { afterEach, describe, expect, it } from '@jest/globals';
import { renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parseExposition } from './helpers/exposition.js';
import { copyScenario, normalizeScrape, startInProcess } from './helpers/fixture-host.js';
import { ACCEPTED_LINT, checkMetrics } from './helpers/promtool.js';

const PATCH = 'livepatch_3_150600_13_9_1';

/** What each test started, undone after it (the exporter first, then its host copy). */
const undo: Array<() => unknown> = [];
afterEach(async () => {
  for (const step of undo.splice(0).reverse()) await step();
});

async function start(name: string, extra: string[] = []) {
  const copy = copyScenario(name);
  undo.push(() => rmSync(copy.base, { recursive: true, force: true }));
  const running = await startInProcess(copy.scenario, extra);
  undo.push(() => running.close());
  return { scenario: copy.scenario, exporter: running.exporter, url: running.url };
}

describe('rendering with prom-client', () => {
  it('series of a patch that went away disappear, and so does a family left without series', async () => {
    const { scenario, exporter } = await start('sles15sp6-patched');
    const before = await exporter.metrics(5000);
    expect(before).toContain(`klp_patch_enabled{patch="${PATCH}"} 1`);
    expect(before).toContain(`klp_patch_transition{patch="${PATCH}"} 0`);

    // The kernel removes the directory when the patch is disabled and unloaded.
    const lp = path.join(scenario.root, 'sys/kernel/livepatch');
    renameSync(path.join(lp, PATCH), path.join(scenario.root, PATCH));
    const after = await exporter.metrics(5000);
    expect(after).not.toContain(`patch="${PATCH}"`);
    expect(after).not.toContain('klp_patch_enabled');
    expect(after).not.toContain('klp_patch_transition');
    expect(after).toContain('klp_livepatch_state{state="unpatched"} 1');

    renameSync(path.join(scenario.root, PATCH), path.join(lp, PATCH));
    expect(await exporter.metrics(5000)).toContain(`klp_patch_enabled{patch="${PATCH}"} 1`); // and back
  });

  it('the scrapes of one collection share one rendering and one compression of it', async () => {
    const { exporter } = await start('sles15sp6-patched', ['--no-web.disable-exporter-metrics']);
    await exporter.metricsBody(5000);
    const [plain, gzipped, gzippedAgain] = await new Promise<Buffer[]>((resolve) => {
      const got: Array<Promise<Buffer>> = [];
      setTimeout(() => got.push(exporter.metricsBody(5000)), 0);
      setTimeout(() => got.push(exporter.metricsBody(5000, { gzip: true })), 0);
      setTimeout(() => {
        got.push(exporter.metricsBody(5000, { gzip: true }));
        resolve(Promise.all(got));
      }, 0);
    });
    expect(gzippedAgain).toBe(gzipped); // compressed once
    expect(gunzipSync(gzipped!).equals(plain!)).toBe(true); // process metrics included, taken once
    expect(gzipped!.length).toBeLessThan(plain!.length / 3);
  });
});

describe('process metrics', () => {
  it('has the usual process_* and nodejs_* families, computed when scraped, and passes promtool', async () => {
    const { exporter } = await start('sles15sp6-patched', ['--no-web.disable-exporter-metrics']);
    const text = await exporter.metrics(5000);
    const samples = parseExposition(text);
    for (const name of [
      'process_cpu_seconds_total',
      'process_cpu_user_seconds_total',
      'process_start_time_seconds',
      'process_resident_memory_bytes',
      'process_virtual_memory_bytes',
      'process_heap_bytes',
      'process_open_fds',
      'process_max_fds',
      'nodejs_eventloop_lag_seconds',
      'nodejs_active_handles_total',
      'nodejs_heap_size_used_bytes',
      'nodejs_external_memory_bytes',
      'nodejs_version_info',
    ]) {
      expect([...samples.keys()].some((k) => k === name || k.startsWith(`${name}{`))).toBe(true);
    }
    expect(text).toContain('# TYPE nodejs_gc_duration_seconds histogram');
    const lag = samples.get('nodejs_eventloop_lag_seconds')!;
    expect(lag).toBeGreaterThan(0); // measured by this scrape, not left at 0
    expect(lag).toBeLessThan(5);
    // The summaries of perf_hooks.monitorEventLoopDelay need its 10 ms timer: not registered.
    expect(text).not.toMatch(/nodejs_eventloop_lag_(min|max|mean|stddev|p50|p90|p99)_seconds/);
    // Computed when scraped: the CPU counter moves between two scrapes that do work.
    const cpu = samples.get('process_cpu_seconds_total')!;
    const spin = Date.now() + 30;
    while (Date.now() < spin);
    expect(parseExposition(await exporter.metrics(5000)).get('process_cpu_seconds_total')!).toBeGreaterThan(cpu);
    // prom-client names its active handle, request and resource gauges *_total: lint, not a parse error.
    const { problems } = checkMetrics(text);
    expect(problems.filter((p) => !ACCEPTED_LINT.test(p) && !/^nodejs_active_\w+_total non-counter metrics should not have "_total" suffix$/.test(p))).toEqual([]);
  });
});

describe('the telemetry endpoint and Accept-Encoding', () => {
  it('answers gzip when asked, as Prometheus asks, and plain text otherwise', async () => {
    const { url } = await start('sles15sp6-patched');
    const plain = await fetch(`${url}/metrics`, { headers: { 'Accept-Encoding': 'identity' } });
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(plain.headers.get('vary')).toBe('Accept-Encoding');
    const text = await plain.text();

    const raw = await rawGet(url, { 'Accept-Encoding': 'gzip', Accept: 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1' });
    expect(raw.status).toBe(200);
    expect(raw.headers['content-encoding']).toBe('gzip');
    expect(raw.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(Number(raw.headers['content-length'])).toBe(raw.body.length);
    expect(normalizeScrape(gunzipSync(raw.body).toString('utf8'))).toBe(normalizeScrape(text));

    for (const refused of ['gzip;q=0', 'br', 'deflate, gzip;q=0.5, identity']) {
      const r = await rawGet(url, { 'Accept-Encoding': refused });
      expect(r.headers['content-encoding']).toBeUndefined();
      expect(r.body.toString('utf8')).toContain('klp_livepatch_state{state="patched"} 1');
    }
    const head = await rawGet(url, { 'Accept-Encoding': 'gzip' }, 'HEAD');
    expect(head.headers['content-encoding']).toBe('gzip');
    expect(head.body.length).toBe(0);
  });
});

/** A request without fetch's transparent decompression. */
async function rawGet(url: string, headers: Record<string, string>, method = 'GET'): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  const http = await import('node:http');
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}/metrics`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}
