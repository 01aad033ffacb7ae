// klp collector: what the live patch system's tool (SUSE: `klp`, SLE 12: `kgr`) says about the
// loaded live patches — the source of the CVE and bug lists — and its status, cross-checked
// against sysfs. Cached until the package database, the loaded patches or the running kernel's
// live patch package change.

import type { RpmPackage } from '../parsers/rpm.js';
import type { PatchDetails } from '../systems/system.js';
import type { CachedCollector } from './collector.js';

export type KlpData = PatchDetails;

interface KlpInputs {
  readonly db: string;
  /** The loaded patches' state; null when the livepatch collector has nothing. */
  readonly sysfs: ReadonlyArray<readonly [string, 0 | 1 | undefined, 0 | 1 | undefined]> | null;
  /** The running kernel's installed live patch package (highest version). */
  readonly running: RpmPackage | undefined;
}

export const klp: CachedCollector<'klp', KlpInputs> = {
  kind: 'cached',
  name: 'klp',
  help: 'CVEs and bugs fixed by the active live patch (klp -v patches, or the package changelog), cached',
  enabledByDefault: true,
  uses: ['kernel', 'livepatch', 'packages'],
  settings: [
    { flag: 'collector.klp.cve-info', yaml: ['collector', 'klp', 'cve_info'], type: { kind: 'bool' }, default: false, help: 'Export klp_patch_cve_info{cve} for every CVE of the active patch (one series per CVE).' },
  ],
  inputs: (ctx, { kernel, livepatch, packages }) => ({
    db: ctx.system.packageDbStamp(ctx),
    sysfs: livepatch ? livepatch.patches.map((p) => [p.name, p.enabled, p.transition] as const) : null,
    running: kernel && packages ? ctx.system.livepatchPackagesOf(kernel.running, packages)[0] : undefined,
  }),
  async collect(ctx, { sysfs, running }) {
    const data = await ctx.system.describePatches(ctx, running);
    // The tool's status is computed from the same sysfs files: say so when the two disagree.
    if (data.inTransition !== undefined && sysfs) {
      const sysfsTransition = sysfs.some(([, , transition]) => transition === 1);
      if (data.inTransition !== sysfsTransition) {
        ctx.log.warn('klp status disagrees with sysfs', { klp_in_transition: data.inTransition, sysfs_transition: sysfsTransition });
      }
    }
    return data;
  },
};
