// The collector units: declared in order, flags from the list, cache inputs that decide
// refreshes, and zypper throttled in one place (the scraper's throttle).

import { afterEach, describe, expect, it } from '@jest/globals';
import { rmSync, utimesSync } from 'node:fs';
import path from 'node:path';
import { COLLECTORS } from '../../src/collectors/index.js';
import { helpText } from '../../src/config/config.js';
import { SETTINGS } from '../../src/config/settings.js';
import { resolveCommands } from '../../src/host/commands.js';
import { resolveHostPaths } from '../../src/host/paths.js';
import { silentLogger } from '../../src/log.js';
import { Scraper } from '../../src/scrape/scraper.js';
import { SYSTEM } from '../../src/systems/index.js';
import { copyScenario, scenarioArgs, scenarioConfig } from '../helpers/fixture-host.js';

describe('collector units', () => {
  it('come after every collector they require or use, with unique names', () => {
    const seen = new Set<string>();
    for (const c of COLLECTORS) {
      for (const dep of [...(c.requires ?? []), ...(c.uses ?? [])]) expect([c.name, dep, seen.has(dep)]).toEqual([c.name, dep, true]);
      expect(seen.has(c.name)).toBe(false);
      seen.add(c.name);
    }
  });

  it('give the --collector.<name> switches, their defaults and help, and their own settings', () => {
    const help = helpText();
    for (const c of COLLECTORS) {
      const s = SETTINGS.find((x) => x.flag === `collector.${c.name}`);
      expect(s).toMatchObject({ default: c.enabledByDefault, yaml: ['collector', c.name, 'enabled'] });
      expect(help).toContain(c.help);
      for (const own of c.settings ?? []) expect(SETTINGS).toContainEqual(own);
    }
  });
});

describe('zypper is throttled in one place', () => {
  let base: string | undefined;
  afterEach(() => {
    if (base) rmSync(base, { recursive: true, force: true });
    base = undefined;
  });

  it('runs at most once per --collector.lifecycle.zypper-interval, however often the lifecycle collector refreshes', async () => {
    const copy = copyScenario('sles15sp6-zypper');
    base = copy.base;
    const { config } = scenarioConfig(scenarioArgs(copy.scenario, ['--collector.lifecycle.zypper-interval=1h']));
    let now = Date.parse(copy.scenario.now);
    const scraper = new Scraper({
      config,
      paths: resolveHostPaths(config.path),
      commands: await resolveCommands(config.exec.path, SYSTEM.commands),
      system: SYSTEM,
      log: silentLogger,
      now: () => now,
    });
    const scrape = async () => {
      const s = await scraper.collect(10_000);
      // a refresh started by this scrape answers the next one (stale while revalidate)
      await new Promise((r) => setTimeout(r, 300));
      return s;
    };
    try {
      expect((await scrape()).lifecycle?.expiry).toEqual({ atMs: Date.parse('2025-10-24T00:00:00Z'), source: 'zypper' });
      expect(scraper.commandRuns.get('zypper')).toBe(1);
      // The RPM database changes twice within the interval: lifecycle refreshes, zypper does not run.
      const db = path.join(copy.scenario.root, 'usr/lib/sysimage/rpm/Packages.db');
      for (const offset of [5, 10]) {
        now += 10 * 60_000;
        utimesSync(db, new Date(), new Date(Date.now() + offset * 1000));
        await scrape();
        await scrape();
      }
      expect(scraper.commandRuns.get('zypper')).toBe(1);
      // The interval is over: the next scrape asks zypper again, once.
      now += 41 * 60_000;
      await scrape();
      await scrape();
      expect(scraper.commandRuns.get('zypper')).toBe(2);
      expect((await scrape()).lifecycle?.expiry?.source).toBe('zypper');
    } finally {
      scraper.close();
    }
  });
});
