// klp_exporter_command_runs_total is a counter: monotonic for the life of the process, reloads included.

import { afterEach, describe, expect, it } from '@jest/globals';
import { loadScenario, startInProcess, type RunningExporter } from '../helpers/fixture-host.js';

let running: RunningExporter | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

const runs = async (r: RunningExporter, command: string): Promise<number> => {
  const text = await (await fetch(`${r.url}/metrics`)).text();
  const m = new RegExp(`^klp_exporter_command_runs_total\\{command="${command}"\\} (\\d+)$`, 'm').exec(text);
  if (!m) throw new Error(`no klp_exporter_command_runs_total for ${command}`);
  return Number(m[1]);
};

describe('klp_exporter_command_runs_total', () => {
  it('never goes backwards on reload (caches start afresh, the count goes on)', async () => {
    running = await startInProcess(loadScenario('sles15sp6-patched'));
    const before = await runs(running, 'rpm');
    expect(before).toBeGreaterThanOrEqual(1);
    // A reload that changes what the collectors read (here the cache's max age) starts a new scraper with
    // empty caches: rpm runs again, and the count adds to what it was.
    const reload = () => {
      const c = running!.exporter.config;
      running!.exporter.applyConfig({ ...c, cache: { maxAgeMs: c.cache.maxAgeMs + 1000 } });
    };
    reload();
    const after = await runs(running, 'rpm');
    expect(after).toBe(before + 1);
    reload();
    expect(await runs(running, 'rpm')).toBe(before + 2);
  });
});
