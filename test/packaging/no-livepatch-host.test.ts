// A machine without live patching (not SUSE: no /sys/kernel/livepatch, no klp), as README.md describes it:
// the built exporter on two such hosts, one with the rpm command and an empty package database (Debian with
// its rpm package, like the CI machines) and one without rpm (the ubuntu-no-livepatch-support fixture).
// klp_livepatch_state{state="unsupported"} is the one signal; nothing fails for want of live patching.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startProcess } from '../helpers/exporter-process.js';
import { copyScenario, PROJECT, scenarioArgs, type Scenario } from '../helpers/fixture-host.js';
import { freePort, parseSamples } from '../operations/process.js';

interface Run {
  samples: Map<string, number>;
  lines: string[];
  log: string;
}

let base: string;
const runs: Record<'withRpm' | 'withoutRpm', Run> = {} as never;

async function scrape(s: Scenario): Promise<Run> {
  const p = await startProcess(scenarioArgs(s), await freePort());
  try {
    const text = await (await fetch(`${p.url}/metrics`)).text();
    return { samples: parseSamples(text), lines: text.split('\n').filter((l) => l && !l.startsWith('#')), log: p.stderr() };
  } finally {
    await p.stop();
  }
}

beforeAll(async () => {
  const copy = copyScenario('ubuntu-no-livepatch-support');
  base = copy.base;
  runs.withoutRpm = await scrape(copy.scenario);
  // The same host with Debian's rpm package: the command and an empty database, no packages.
  mkdirSync(path.join(copy.scenario.root, 'var/lib/rpm'), { recursive: true });
  mkdirSync(copy.scenario.bin, { recursive: true });
  symlinkSync(path.join(base, 'bin/fake-tool.mjs'), path.join(copy.scenario.bin, 'rpm'));
  mkdirSync(path.join(copy.scenario.dir, 'cmd'), { recursive: true });
  writeFileSync(path.join(copy.scenario.dir, 'cmd/rpm_-qa.out'), '');
  runs.withRpm = await scrape(copy.scenario);
}, 60_000);
afterAll(() => rmSync(base, { recursive: true, force: true }));

const states = (r: Run) => Object.fromEntries(['patched', 'transition', 'unpatched', 'unsupported'].map((s) => [s, r.samples.get(`klp_livepatch_state{state="${s}"}`)]));
const successes = (r: Run) => [...r.samples].filter(([k]) => k.startsWith('klp_scrape_collector_success{'));

describe('a machine without live patching', () => {
  it('with rpm (Debian): state unsupported, every collector succeeds, the log has its listening line only', () => {
    const r = runs.withRpm;
    expect(states(r)).toEqual({ patched: 0, transition: 0, unpatched: 0, unsupported: 1 });
    expect(r.samples.get('klp_livepatch_supported{}')).toBe(0);
    expect(successes(r).length).toBeGreaterThan(5);
    expect(successes(r).filter(([, v]) => v !== 1)).toEqual([]);
    expect(r.log.trim().split('\n')).toEqual([expect.stringMatching(/level=info msg=listening /)]);
  });

  it('without rpm (Ubuntu): the same state, and only the packages collector fails, with the reason in the log', () => {
    const r = runs.withoutRpm;
    expect(states(r)).toEqual({ patched: 0, transition: 0, unpatched: 0, unsupported: 1 });
    expect(successes(r).filter(([, v]) => v !== 1)).toEqual([['klp_scrape_collector_success{collector="packages"}', 0]]);
    expect(r.log).toMatch(/level=error msg="collector failed" collector=packages err="rpm not found in --exec.path/);
  });

  it("README.md's sentences about such a machine quotes only series these scrapes have", () => {
    const readme = readFileSync(path.join(PROJECT, 'README.md'), 'utf8');
    const at = readme.indexOf('On a machine without live patching');
    expect(at).toBeGreaterThan(0);
    const paragraph = readme.slice(at).split('\n\n')[0]!;
    const quoted = [...paragraph.matchAll(/`([a-z_]+(?:\{[^}`]*\})? -?\d+)`/g)].map((m) => m[1]!);
    expect(quoted).toContain('klp_livepatch_state{state="unsupported"} 1');
    const seen = new Set([...runs.withRpm.lines, ...runs.withoutRpm.lines]);
    expect(quoted.filter((q) => !seen.has(q))).toEqual([]);
  });
});
