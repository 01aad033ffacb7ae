// Every fixture host has a golden scrape (test/golden/<scenario>.prom): the real HTTP server,
// pointed at the host with its frozen clock, must serve exactly that. UPDATE_GOLDEN=1 rewrites
// the files; review the diff like code.

import { describe, expect, it } from '@jest/globals';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ACCEPTED_LINT, checkMetrics } from './helpers/promtool.js';
import { listScenarios, loadScenario, normalizeScrape, PROJECT, startInProcess } from './helpers/fixture-host.js';

const GOLDEN = path.join(PROJECT, 'test/golden');
const update = process.env.UPDATE_GOLDEN === '1';

describe('golden scrapes', () => {
  const scenarios = listScenarios();

  it('covers every fixture host with a golden file and no stale golden files', () => {
    expect(scenarios.length).toBeGreaterThanOrEqual(18);
    for (const s of scenarios) expect(existsSync(path.join(GOLDEN, `${s}.prom`)) || update).toBe(true);
    // Every file in test/golden/ is the golden scrape of a fixture host (a renamed or removed one leaves none behind).
    const stale = readdirSync(GOLDEN).filter((f) => !scenarios.includes(f.replace(/\.prom$/, '')) || !f.endsWith('.prom'));
    expect(stale).toEqual([]);
  });

  it.each(scenarios)('%s', async (name) => {
    const s = loadScenario(name);
    const running = await startInProcess(s);
    try {
      const res = await fetch(`${running.url}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
      const body = normalizeScrape(await res.text());
      const file = path.join(GOLDEN, `${name}.prom`);
      if (update) writeFileSync(file, body);
      expect(body).toBe(readFileSync(file, 'utf8'));
    } finally {
      await running.close();
    }
  });

  it.each(scenarios)('%s golden passes promtool check metrics', (name) => {
    const text = readFileSync(path.join(GOLDEN, `${name}.prom`), 'utf8');
    const { problems } = checkMetrics(text);
    expect(problems.filter((p) => !ACCEPTED_LINT.test(p))).toEqual([]);
  });
});
