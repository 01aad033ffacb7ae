// What `zypper lifecycle` says, through the scraper, with a wall clock that moves (and steps back).

import { afterEach, describe, expect, it } from '@jest/globals';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { resolveCommands } from '../../src/host/commands.js';
import { resolveHostPaths } from '../../src/host/paths.js';
import { silentLogger } from '../../src/log.js';
import { liveStatus } from '../../src/status.js';
import { SYSTEM } from '../../src/systems/index.js';
import { renderMetrics } from '../../src/scrape/render.js';
import { Scraper } from '../../src/scrape/scraper.js';
import { copyScenario, GOLDEN_BUILD_INFO, scenarioArgs, scenarioConfig } from '../helpers/fixture-host.js';

const PKG = 'kernel-livepatch-6_4_0-150600_23_25-default';
const DAY = 86_400_000;

let base: string | undefined;
let scraper: Scraper | undefined;
afterEach(() => {
  scraper?.close();
  scraper = undefined;
  if (base) rmSync(base, { recursive: true, force: true });
  base = undefined;
});

/** A scraper on a copy of a fixture host whose `zypper lifecycle` prints `answer`, with a clock the test sets. */
async function host(answer: string) {
  const copy = copyScenario('sles15sp6-zypper');
  base = copy.base;
  rmSync(path.join(copy.scenario.root, 'usr/share/lifecycle/data/sle-module-live-patching.lifecycle'));
  writeFileSync(path.join(copy.scenario.dir, `cmd/zypper_lifecycle_${PKG}.out`), `\nPackage end of support:\n${PKG} ${answer}\n\n`);
  const { config } = scenarioConfig(scenarioArgs(copy.scenario, ['--collector.lifecycle.zypper-interval', '1m']));
  const clock = { now: Date.parse(copy.scenario.now) };
  scraper = new Scraper({ config, paths: resolveHostPaths(config.path), commands: await resolveCommands(config.exec.path, SYSTEM.commands), system: SYSTEM, log: silentLogger, now: () => clock.now });
  const scrape = async () => {
    const s = await scraper!.collect(10_000);
    const text = await renderMetrics(s, liveStatus(s, SYSTEM), {
      nowMs: clock.now,
      cveInfo: false,
      buildInfo: GOLDEN_BUILD_INFO,
      configReloadSuccessful: true,
      commandRuns: scraper!.commandRuns,
      commandNames: SYSTEM.commands,
      expirySources: SYSTEM.expirySources,
    });
    const value = (name: string) => {
      const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
      return m ? Number(m[1]) : undefined;
    };
    return { text, days: value('klp_patch_days_until_expiry'), expiry: value('klp_patch_expiry_timestamp_seconds') };
  };
  return { clock, scrape };
}

describe('zypper lifecycle through the scraper', () => {
  it('"Now" because an update is available is not an end of support: the next source answers', async () => {
    const h = await host('Now, installed 3-150600.13.9.1, update available 4-150600.13.12.1 ');
    const r = await h.scrape();
    expect(r.text).toContain('klp_patch_expiry_source{source="kernel-build-time"} 1');
    expect(r.days).toBeGreaterThan(0);
  });

  it('an ended answer never turns into a date in the future when the wall clock steps back', async () => {
    const h = await host('Now                                     ');
    const first = await h.scrape();
    expect(first.text).toContain('klp_patch_expiry_source{source="zypper"} 1');
    expect(first.days).toBeLessThanOrEqual(0);
    for (const back of [153 * DAY, 10 * 60_000, 1000]) {
      h.clock.now -= back;
      const r = await h.scrape();
      expect(r.text).toContain('klp_patch_expiry_source{source="zypper"} 1');
      expect(r.days).toBeLessThanOrEqual(0);
      expect(r.expiry! * 1000).toBeLessThanOrEqual(h.clock.now);
    }
  });
});
