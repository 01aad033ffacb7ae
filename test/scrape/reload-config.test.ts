// A reload hands every setting a collector reads to the collectors: a changed collector setting is
// never left behind in the scraper the reload kept.

import { afterEach, describe, expect, it } from '@jest/globals';
import { loadScenario, startInProcess, type RunningExporter } from '../helpers/fixture-host.js';

let running: RunningExporter | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

const availableVersion = async (r: RunningExporter): Promise<string | undefined> => {
  const text = await (await fetch(`${r.url}/metrics`)).text();
  return /^klp_patch_available_version (\S+)$/m.exec(text)?.[1];
};

describe('reload', () => {
  it('a changed repositories setting reaches the repositories collector', async () => {
    // The host's repository cache cannot be read; only the zypper fallback finds live patch 4.
    running = await startInProcess(loadScenario('sles15sp6-repo-zypper-fallback'));
    expect(await availableVersion(running)).toBe('4');
    const c = running.exporter.config;
    expect(running.exporter.applyConfig({ ...c, repositories: { ...c.repositories, zypper: false } })).toBe(true);
    // Without the fallback the unreadable cache is all there is: no version is claimed.
    expect(await availableVersion(running)).toBeUndefined();
  });
});
