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
import { livepatchPackageNamesFor, moduleNamesFor } from '../../src/systems/suse/names.js';
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

/**
 * A host whose loaded live patch is known to rpm and to klp, built from hostile text: the running
 * kernel's fields give the package name, the package's VERSION and RELEASE give the module name
 * (as the SUSE system maps them), and klp names hostile CVEs for it. Without these, package and
 * CVE labels are seldom rendered and then only from well-formed names.
 */
const mappedHost: fc.Arbitrary<Snapshot> = fc
  .record({
    kernel: fc.record({ release: anyText, version: anyText, revision: anyText.filter((t) => t !== ''), flavor: anyText.filter((t) => t !== '') }),
    os,
    version: fc.oneof(anyText, fc.nat({ max: 99 }).map(String)),
    release: anyText,
    cves: fc.array(anyText, { minLength: 1, maxLength: 3 }),
    objects: fc.array(fc.record({ name: anyText, patched: flag }), { maxLength: 2 }),
  })
  .map((r) => {
    const pkg = { name: livepatchPackageNamesFor(r.kernel)[0]!, version: r.version, release: r.release, arch: 'x86_64', buildTime: 0, installTime: 0 };
    const module = moduleNamesFor(pkg)[0]!;
    return {
      health: [{ name: 'kernel', success: true, durationSeconds: 0.001, cached: false }],
      commands: { rpm: '/usr/bin/rpm', klp: '/usr/bin/klp' },
      kernel: { running: r.kernel, os: r.os },
      livepatch: { supported: true, patches: [{ name: module, enabled: 1, transition: 0, replace: undefined, stackOrder: undefined, objects: r.objects }] },
      taint: { value: 32768, livepatch: true },
      packages: { livepatchPackages: [pkg], kernelPackages: [] },
      klp: { tool: 'klp', inTransition: false, patches: [{ module, rpm: undefined, cves: r.cves, bugs: [], initial: false }], changelog: undefined },
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

/** The label sets of one family's series, values read back from the exposition, as sorted JSON. */
function labelSets(samples: Map<string, number>, family: string): string[] {
  const sets = new Set<string>();
  for (const key of samples.keys()) {
    if (key !== family && !key.startsWith(`${family}{`)) continue;
    const labels: Record<string, string> = {};
    for (const m of key.slice(family.length).matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"/g)) labels[m[1]!] = unescape(m[2]!);
    sets.add(JSON.stringify(labels));
  }
  return [...sets].sort();
}
/** What the label sets must be: each value exactly as the snapshot carries it. */
const expected = (sets: readonly object[]) => [...new Set(sets.map((l) => JSON.stringify(l)))].sort();

/** Fail the property with the family whose label values differ from the snapshot's. */
function sameLabels(samples: Map<string, number>, family: string, want: readonly object[]) {
  const got = labelSets(samples, family);
  const wanted = expected(want);
  if (JSON.stringify(got) !== JSON.stringify(wanted)) throw new Error(`${family}: label values ${JSON.stringify(got)}, the snapshot has ${JSON.stringify(wanted)}`);
}

describe('hostile label values in the exposition', () => {
  it('every render reads back strictly, with each label value unchanged (1,000 runs)', async () => {
    // How often each label-bearing family was rendered: a family the arbitraries never reach is checked by nothing.
    const reached = { os: 0, patch: 0, object: 0, packageInfo: 0, cve: 0 };
    await fc.assert(
      fc.asyncProperty(fc.oneof(snapshot, mappedHost), async (s) => {
        const d = derive(s);
        const text = await renderMetrics(s, d, OPTS);
        const samples = parseExposition(text); // throws on any malformed line
        const k = s.kernel!.running;
        sameLabels(samples, 'klp_kernel_info', [{ release: k.release, version: k.version, revision: k.revision, flavor: k.flavor }]);
        const os = s.kernel!.os;
        sameLabels(samples, 'klp_os_info', os ? [{ id: os.id, version_id: os.versionId, pretty_name: os.prettyName }] : []);
        const patches = s.livepatch!.patches;
        sameLabels(
          samples,
          'klp_patch_enabled',
          patches.filter((p) => p.enabled !== undefined).map((p) => ({ patch: p.name })),
        );
        const objects = patches.flatMap((p) => p.objects.filter((o) => o.patched !== undefined).map((o) => ({ patch: p.name, object: o.name })));
        sameLabels(samples, 'klp_patch_object_patched', objects);
        // Package labels: each one a package of the snapshot (rpm, or the RPM field of klp), unchanged.
        const packages = [...s.packages!.livepatchPackages, ...s.klp!.patches.flatMap((p) => (p.rpm ? [p.rpm] : []))];
        for (const i of d.patchInfo) {
          if (!packages.some((p) => p.name === i.package && p.version === i.version && p.release === i.release)) throw new Error(`patch info ${JSON.stringify(i)} is no package of the snapshot`);
        }
        sameLabels(samples, 'klp_patch_info', d.patchInfo);
        // CVE labels: each one a CVE the snapshot's klp output names, unchanged.
        const cves = d.cves ?? [];
        for (const c of cves) if (!s.klp!.patches.some((p) => p.cves.includes(c))) throw new Error(`CVE ${JSON.stringify(c)} is not in the snapshot`);
        sameLabels(
          samples,
          'klp_patch_cve_info',
          cves.map((cve) => ({ cve })),
        );
        if (os) reached.os++;
        if (patches.some((p) => p.enabled !== undefined)) reached.patch++;
        if (objects.length > 0) reached.object++;
        if (d.patchInfo.length > 0) reached.packageInfo++;
        if (cves.length > 0) reached.cve++;
      }),
      { numRuns: 1000, endOnFailure: true },
    );
    for (const [family, runs] of Object.entries(reached)) expect([family, runs >= 50]).toEqual([family, true]);
  });

  it('a sample of 200 renders passes promtool check metrics', async () => {
    const texts = await Promise.all(fc.sample(fc.oneof(snapshot, mappedHost), { numRuns: 200, seed: 42 }).map((s) => renderMetrics(s, derive(s), OPTS)));
    const all = texts.map((t, i) => t.replace(/^(# (?:HELP|TYPE) )?klp_/gm, `$1k${i}_`)).join('');
    const { status, problems } = checkMetrics(all);
    // Lint findings are about names and units, which are fixed; a parse error is a failure.
    const errors = problems.filter((p) => !/use base unit|counter metrics should have "_total" suffix|should have "_total"|non-histogram and non-summary metrics should not have "_(sum|count|bucket)" suffix/.test(p));
    expect(errors).toEqual([]);
    expect([0, 3]).toContain(status); // 3: lint findings only
  });
});
