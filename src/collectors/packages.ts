// packages collector: installed live patch packages and the running flavor's kernel packages,
// from one query of the package database (the live patch system says which). Cached until the
// package database changes.

import type { PackagesData } from '../systems/system.js';
import type { CachedCollector } from './collector.js';

export type { PackagesData };

export const packages: CachedCollector<'packages', { db: string; flavor: string | undefined }> = {
  kind: 'cached',
  name: 'packages',
  help: 'installed live patch and kernel packages (rpm), cached until the RPM database changes',
  enabledByDefault: true,
  uses: ['kernel'],
  inputs: (ctx, { kernel }) => ({ db: ctx.system.packageDbStamp(ctx), flavor: kernel?.running.flavor }),
  collect: (ctx, { flavor }) => ctx.system.installedPackages(ctx, flavor),
};
