// availablePatch(): the newest live patch the repositories offer, and the CVEs installing it adds
// to the active one (issue 21, item 3). Live patches are cumulative: installing 7 over 5 fixes
// what 6 and 7 fix, and zypper lists the advisories of both as needed.

import { describe, expect, it } from '@jest/globals';
import type { Advisory, OfferedPackage } from '../src/parsers/rpm-md.js';
import { availablePatch } from '../src/status.js';
import { SYSTEM } from '../src/systems/index.js';
import type { OfferedUpdates } from '../src/systems/system.js';

const LP = 'kernel-livepatch-6_4_0-150600_23_25-default';
const pkg = (version: number): OfferedPackage => ({ name: LP, arch: 'x86_64', epoch: '0', version: String(version), release: `150600.13.${version}.1` });
const adv = (id: string, version: number, cves: string[], status = 'stable'): Advisory => ({ id, severity: 'important', status, type: 'security', cves, packages: [pkg(version)] });
const repos = (versions: number[], advisories: Advisory[]): OfferedUpdates => ({
  repositories: [{ alias: 'lp', autorefresh: true, refreshedMs: 0 }],
  read: 1,
  ignored: 0,
  failed: 0,
  complete: true,
  offers: versions.map((v) => ({ pkg: pkg(v), repository: 'lp', priority: 99 })),
  advisories,
  source: 'cache',
});
const ACTIVE_5 = { version: 5, cves: ['CVE-2025-0001', 'CVE-2025-0002'] };

describe('availablePatch: CVEs new after a skipped update', () => {
  it('counts the union of the CVEs of every advisory above the active version up to the newest, less the active ones', () => {
    const r = repos([4, 5, 6, 7], [adv('A4', 4, ['CVE-2025-0001', 'CVE-2025-0400']), adv('A5', 5, ['CVE-2025-0002']), adv('A', 6, ['CVE-2025-0601', 'CVE-2025-0602']), adv('B', 7, ['CVE-2025-0701'])]);
    const a = availablePatch(r, ACTIVE_5, SYSTEM)!;
    expect(a.version).toBe(7);
    expect(a.advisory?.id).toBe('B');
    expect(a.cvesNew).toBe(3);
  });

  it('counts a CVE fixed by both advisories once, and not one the active patch already fixes', () => {
    const r = repos([6, 7], [adv('A', 6, ['CVE-2025-0601', 'CVE-2025-0001']), adv('B', 7, ['CVE-2025-0601', 'CVE-2025-0701', 'CVE-2025-0002'])]);
    expect(availablePatch(r, ACTIVE_5, SYSTEM)!.cvesNew).toBe(2);
  });

  it('never counts a retracted advisory (nor offers the version it retracts)', () => {
    const r = repos([6, 7, 8], [adv('A', 6, ['CVE-2025-0601']), adv('B', 7, ['CVE-2025-0701']), adv('C', 8, ['CVE-2025-0801'], 'retracted')]);
    const a = availablePatch(r, ACTIVE_5, SYSTEM)!;
    expect(a.version).toBe(7);
    expect(a.cvesNew).toBe(2);
    // Retracted 6 in between: its CVEs do not count, 7's do.
    const r2 = repos([6, 7], [adv('A', 6, ['CVE-2025-0601'], 'retracted'), adv('B', 7, ['CVE-2025-0701'])]);
    expect(availablePatch(r2, ACTIVE_5, SYSTEM)!.cvesNew).toBe(1);
  });

  it('is unknown when the active version or CVEs are unknown, or the newest has no advisory', () => {
    const r = repos([6, 7], [adv('A', 6, ['CVE-2025-0601']), adv('B', 7, ['CVE-2025-0701'])]);
    expect(availablePatch(r, { version: undefined, cves: ACTIVE_5.cves }, SYSTEM)!.cvesNew).toBeUndefined();
    expect(availablePatch(r, { version: 5, cves: undefined }, SYSTEM)!.cvesNew).toBeUndefined();
    expect(availablePatch(repos([6, 7], [adv('A', 6, ['CVE-2025-0601'])]), ACTIVE_5, SYSTEM)!.cvesNew).toBeUndefined();
  });

  it('with nothing newer than the active patch: none new', () => {
    expect(availablePatch(repos([4, 5], [adv('A5', 5, ['CVE-2025-0001'])]), ACTIVE_5, SYSTEM)!.cvesNew).toBe(0);
  });
});
