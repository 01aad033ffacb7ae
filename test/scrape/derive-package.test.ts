// liveStatus(): which package (and so which version) describes a loaded live patch, and derivation
// on large inputs (many loaded patches × many installed versions of the running kernel's package).

import { describe, expect, it } from '@jest/globals';
import type { SysfsPatch } from '../../src/collectors/livepatch.js';
import { parseKernelRelease } from '../../src/parsers/kernel.js';
import type { RpmPackage } from '../../src/parsers/rpm.js';
import { liveStatus } from '../../src/status.js';
import { SYSTEM } from '../../src/systems/index.js';
import type { Snapshot } from '../../src/scrape/snapshot.js';

const KERNEL = parseKernelRelease('6.4.0-150600.23.25-default');
const PKG = 'kernel-livepatch-6_4_0-150600_23_25-default';
const applied = (name: string): SysfsPatch => ({ name, enabled: 1, transition: 0, replace: undefined, stackOrder: undefined, objects: [] });
const rpm = (version: string, release: string): RpmPackage => ({ name: PKG, version, release, arch: 'x86_64', buildTime: 1, installTime: 1 });
const klpBlock = (module: string, nvr: { version: string; release: string } | undefined) => ({
  module,
  active: true,
  rpm: nvr ? { name: PKG, ...nvr, arch: 'x86_64' } : undefined,
  cves: [],
  bugs: [],
  initial: false,
});

function snapshot(patches: SysfsPatch[], installed: RpmPackage[], klp: ReturnType<typeof klpBlock>[] = []): Snapshot {
  return {
    health: [],
    commands: {},
    kernel: { running: KERNEL } as Snapshot['kernel'],
    livepatch: { supported: true, patches },
    packages: { livepatchPackages: installed, kernelPackages: [] },
    klp: { tool: 'klp', inTransition: false, patches: klp, changelog: undefined },
  };
}

describe('the package of a loaded live patch', () => {
  const LP3 = 'livepatch_3_150600_13_9_1';

  it('is not the package klp names when that package does not ship the loaded module (version from the module name)', () => {
    // Patch 3 loaded, package already upgraded to 4, and klp -v patches names package 4 for module 3.
    const d = liveStatus(snapshot([applied(LP3)], [rpm('4', '150600.13.12.1')], [klpBlock(LP3, { version: '4', release: '150600.13.12.1' })]), SYSTEM);
    expect(d.activeVersion).toBe(3);
    expect(d.installedVersion).toBe(4);
    expect(d.patchInfo).toEqual([]);
  });

  it('is the package klp names when that package ships the loaded module', () => {
    const d = liveStatus(snapshot([applied(LP3)], [], [klpBlock(LP3, { version: '3', release: '150600.13.9.1' })]), SYSTEM);
    expect(d.activeVersion).toBe(3);
    expect(d.patchInfo).toEqual([{ patch: LP3, package: PKG, version: '3', release: '150600.13.9.1' }]);
  });

  it('is the installed package that ships the module, before whatever klp names', () => {
    const d = liveStatus(snapshot([applied(LP3)], [rpm('4', '150600.13.12.1'), rpm('3', '150600.13.9.1')], [klpBlock(LP3, { version: '4', release: '150600.13.12.1' })]), SYSTEM);
    expect(d.activeVersion).toBe(3);
    expect(d.patchInfo).toEqual([{ patch: LP3, package: PKG, version: '3', release: '150600.13.9.1' }]);
  });
});

describe('derivation on large inputs', () => {
  const versions = (n: number) => Array.from({ length: n }, (_, i) => rpm(String(i + 1), `150600.13.${i + 1}.1`));
  const modules = (n: number) => Array.from({ length: n }, (_, i) => applied(`livepatch_${i + 1}_150600_13_${i + 1}_1`));

  it('answers with 130,000 installed versions (no argument spread into a call)', () => {
    const d = liveStatus(snapshot([applied('livepatch_7_150600_13_7_1')], versions(130_000)), SYSTEM);
    expect(d.installedVersion).toBe(130_000);
    expect(d.activeVersion).toBe(7);
  });

  it('maps 3,000 loaded patches onto 3,000 installed versions, each to its own package', () => {
    const d = liveStatus(snapshot(modules(3000), versions(3000)), SYSTEM);
    expect(d.activeVersion).toBe(3000);
    expect(d.patchInfo).toHaveLength(3000);
    expect(d.patchInfo.every((p) => p.patch === `livepatch_${p.version}_${p.release.replace(/\./g, '_')}`)).toBe(true);
  });
});
