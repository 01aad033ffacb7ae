// SUSE Linux Enterprise live patching (SLE 12 kGraft, SLE 15 and SLES 16 KLP): the packages,
// the module names, the `klp`/`kgr` tools and the lifecycle data.

import { compareVersionRelease } from '../../parsers/rpm.js';
import type { LivePatchSystem } from '../system.js';
import { describePatches } from './klp.js';
import { EXPIRY_SOURCES, expiry, expiryInputs, SUPPORT_WINDOW_MONTHS } from './lifecycle.js';
import { isRunningKernelPackage, livepatchPackageNamesFor, moduleNamesFor, parseLivepatchPackageName, parseSuseModuleName } from './names.js';
import { offeredUpdates, updatesInputs, type UpdatesQuestion } from './repositories.js';
import { installedPackages, rpmDbStamp } from './rpm.js';

export const suse: LivePatchSystem = {
  name: 'suse',
  commands: ['rpm', 'klp', 'kgr', 'zypper'],
  expirySources: EXPIRY_SOURCES,
  supportWindowMonths: SUPPORT_WINDOW_MONTHS,
  packageDbStamp: rpmDbStamp,
  installedPackages,
  livepatchPackagesOf(kernel, packages) {
    const names = livepatchPackageNamesFor(kernel);
    return packages.livepatchPackages.filter((p) => names.includes(p.name)).sort((a, b) => compareVersionRelease(b, a));
  },
  isRunningKernelPackage,
  moduleNamesOf: moduleNamesFor,
  moduleVersion: (module) => parseSuseModuleName(module)?.version,
  packageVersion: (pkg) => (/^\d{1,9}$/.test(pkg.version) ? Number(pkg.version) : undefined),
  isLivepatchPackageName: (name) => parseLivepatchPackageName(name) !== undefined,
  describePatches,
  expiryInputs,
  expiry,
  updatesInputs,
  offeredUpdates: (ctx, inputs) => offeredUpdates(ctx, inputs as UpdatesQuestion),
};
