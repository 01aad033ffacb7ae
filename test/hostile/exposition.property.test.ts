// Label values come from the host: kernel release, os-release, sysfs directory names, package
// names from rpm and klp. Whatever they contain, the exposition must stay valid and carry the
// value unchanged. Snapshots with hostile strings in every label-bearing field are rendered;
// every render is read back by a strict exposition reader, and a sample goes through
// `promtool check metrics` (one promtool call for the whole sample, each render under its own
// metric-name prefix).

import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { SysfsPatch } from '../../src/collectors/livepatch.js';
import { parseKernelRelease, parseOsRelease } from '../../src/parsers/kernel.js';
import { parseKlpPatches, type KlpPatch } from '../../src/parsers/klp.js';
import type { RpmPackage } from '../../src/parsers/rpm.js';
import { renderMetrics } from '../../src/scrape/render.js';
import type { Snapshot } from '../../src/scrape/snapshot.js';
import { liveStatus } from '../../src/status.js';
import { SYSTEM } from '../../src/systems/index.js';
import { parseExposition } from '../helpers/exposition.js';
import { checkMetrics } from '../helpers/promtool.js';
import { hostileText, mutate } from './arbitraries.js';

/** Any string, including NUL, CR/LF, quotes, backslashes, lone surrogates and long runs. */
const anyText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.string({ unit: fc.constantFrom('"', '\\', '\n', '\r', '\0', '}', '{', ',', '=', ' ', '#', 'a', '\ud800', 'é'), maxLength: 30 }),
  fc.constantFrom('', '\\n', '\\"', '"}', '\\', '{a="b"}', 'x\ny 1'),
);

const kernel = fc.oneof(
  fc.record({ release: anyText, version: anyText, revision: anyText, flavor: anyText }),
  hostileText('6.4.0-150600.23.25-default\n').map((t) => {
    try {
      return parseKernelRelease(t);
    } catch {
      return parseKernelRelease('6.4.0-150600.23.25-default');
    }
  }),
);
const os = fc.oneof(
  fc.record({ id: anyText, versionId: anyText, prettyName: anyText, fields: fc.constant({}) }),
  mutate('NAME="SLES"\nID="sles"\nVERSION_ID="15.6"\nPRETTY_NAME="SUSE Linux Enterprise Server 15 SP6"\n').map((t) => {
    try {
      return parseOsRelease(t);
    } catch {
      return undefined;
    }
  }),
);
const flag = fc.constantFrom<0 | 1 | undefined>(0, 1, undefined);
const patch = fc.record({
  name: fc.oneof(anyText, fc.constantFrom('livepatch_3_150600_13_9_1', 'livepatch_4_150600_13_12_1')),
  enabled: flag,
  transition: flag,
  replace: flag,
  stackOrder: fc.option(fc.nat(), { nil: undefined }),
  objects: fc.array(fc.record({ name: anyText, patched: flag }), { maxLength: 3 }),
}) as fc.Arbitrary<SysfsPatch>;
const pkg = fc.record({
  name: fc.oneof(anyText, fc.constant('kernel-livepatch-6_4_0-150600_23_25-default')),
  version: fc.oneof(anyText, fc.constantFrom('3', '4')),
  release: fc.oneof(anyText, fc.constant('150600.13.9.1')),
  arch: fc.constant('x86_64'),
  buildTime: fc.nat(),
  installTime: fc.nat(),
}) as fc.Arbitrary<RpmPackage>;
const klpOutput = mutate('livepatch_3_150600_13_9_1\n    active: 1\n    RPM: kernel-livepatch-6_4_0-150600_23_25-default-3-150600.13.9.1.x86_64\n    CVE: CVE-2024-50115 CVE-2024-43882\n');

const snapshot: fc.Arbitrary<Snapshot> = fc
  .record({ kernel, os, patches: fc.array(patch, { maxLength: 4 }), livepatch: fc.array(pkg, { maxLength: 3 }), kernels: fc.array(pkg, { maxLength: 2 }), klp: klpOutput, cves: fc.array(anyText, { maxLength: 3 }) })
  .map((r) => {
    let klpPatches: KlpPatch[];
    try {
      klpPatches = parseKlpPatches(r.klp).patches;
    } catch {
      klpPatches = [];
    }
    return {
      health: [{ name: 'kernel', success: true, durationSeconds: 0.001, cached: false }],
      commands: { rpm: '/usr/bin/rpm', klp: '/usr/bin/klp' },
      kernel: { running: r.kernel, os: r.os },
      livepatch: { supported: true, patches: r.patches },
      taint: { value: 32768, livepatch: true },
      packages: { livepatchPackages: r.livepatch, kernelPackages: r.kernels },
      klp: { tool: 'klp', inTransition: false, patches: [...klpPatches, { module: r.patches[0]?.name ?? 'x', active: true, rpm: undefined, cves: r.cves, bugs: [], initial: false }], changelog: undefined },
      lifecycle: { expiry: { atMs: 1760659200000, source: 'lifecycle' } },
    } satisfies Snapshot;
  });

const OPTS = {
  nowMs: 1748736000000,
  cveInfo: true,
  buildInfo: { version: '0.0.0', revision: 'x', nodejsVersion: 'v20' },
  configReloadSuccessful: true,
  commandRuns: new Map(),
  commandNames: SYSTEM.commands,
  expirySources: SYSTEM.expirySources,
};
const derive = (s: Snapshot) => liveStatus(s, SYSTEM);

const unescape = (v: string) => v.replace(/\\(["\\n])/g, (_m, c: string) => (c === 'n' ? '\n' : c));

describe('hostile label values in the exposition', () => {
  it('every render reads back strictly, with each label value unchanged (1,000 runs)', async () => {
    await fc.assert(
      fc.asyncProperty(snapshot, async (s) => {
        const text = await renderMetrics(s, derive(s), OPTS);
        const samples = parseExposition(text); // throws on any malformed line
        const values = new Set<string>();
        for (const key of samples.keys()) for (const m of key.matchAll(/="((?:[^"\\\n]|\\[\\"n])*)"/g)) values.add(unescape(m[1]!));
        const k = s.kernel!.running;
        for (const v of [k.release, k.version, k.revision, k.flavor]) if (!values.has(v)) throw new Error(`kernel label ${JSON.stringify(v)} lost`);
        for (const p of s.livepatch!.patches) if (p.enabled !== undefined && !values.has(p.name)) throw new Error(`patch label ${JSON.stringify(p.name)} lost`);
      }),
      { numRuns: 1000, endOnFailure: true },
    );
  });

  it('a sample of 200 renders passes promtool check metrics', async () => {
    const texts = await Promise.all(fc.sample(snapshot, { numRuns: 200, seed: 42 }).map((s) => renderMetrics(s, derive(s), OPTS)));
    const all = texts.map((t, i) => t.replace(/^(# (?:HELP|TYPE) )?klp_/gm, `$1k${i}_`)).join('');
    const { status, problems } = checkMetrics(all);
    // Lint findings are about names and units, which are fixed; a parse error is a failure.
    const errors = problems.filter((p) => !/use base unit|counter metrics should have "_total" suffix|should have "_total"|non-histogram and non-summary metrics should not have "_(sum|count|bucket)" suffix/.test(p));
    expect(errors).toEqual([]);
    expect([0, 3]).toContain(status); // 3: lint findings only
  });
});
