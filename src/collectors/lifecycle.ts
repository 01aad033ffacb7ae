// lifecycle collector: when live patch support for the running kernel ends. The live patch
// system says where that comes from (SUSE: lifecycle data files, optionally `zypper lifecycle`,
// else the kernel build time plus the support window; see systems/suse/lifecycle.ts).
// Cached until the system's inputs or the running kernel's packages change.

import type { Setting } from '../config/settings.js';
import { SYSTEM } from '../systems/index.js';
import type { Expiry, ExpiryQuestion } from '../systems/system.js';
import type { CachedCollector } from './collector.js';

export interface LifecycleData {
  /** undefined when no source had a date. */
  readonly expiry: Expiry | undefined;
}

const settings: readonly Setting[] = [
  {
    flag: 'collector.lifecycle.zypper',
    yaml: ['collector', 'lifecycle', 'zypper'],
    type: { kind: 'bool' },
    default: false,
    help: 'Ask `zypper lifecycle` when the lifecycle data files have no date (slow; takes the zypp lock).',
  },
  { flag: 'collector.lifecycle.zypper-interval', yaml: ['collector', 'lifecycle', 'zypper_interval'], type: { kind: 'duration' }, default: '6h', help: 'Run `zypper lifecycle` at most this often.' },
  {
    flag: 'collector.lifecycle.fallback-months',
    yaml: ['collector', 'lifecycle', 'fallback_months'],
    type: { kind: 'int', min: 0, max: 120 },
    default: SYSTEM.supportWindowMonths,
    help: 'Live patch support window after the kernel build time, used when no other source has a date. 0 disables the fallback.',
  },
];

export const lifecycle: CachedCollector<'lifecycle', { question: ExpiryQuestion; system: unknown }> = {
  kind: 'cached',
  name: 'lifecycle',
  help: 'live patch end of support (lifecycle data files, optional zypper, kernel build time), cached',
  enabledByDefault: true,
  requires: ['kernel'],
  uses: ['packages'],
  settings,
  inputs(ctx, { kernel, packages }) {
    const running = kernel!.running;
    // What the packages collector found, which may still be refreshing.
    const question: ExpiryQuestion = {
      kernel: running,
      installed: packages ? ctx.system.livepatchPackagesOf(running, packages)[0] : undefined,
      kernelPackage: packages?.kernelPackages.find((p) => ctx.system.isRunningKernelPackage(running, p)),
    };
    return { question, system: ctx.system.expiryInputs(ctx, question) };
  },
  async collect(ctx, { question }) {
    const expiry = await ctx.system.expiry(ctx, question);
    return { expiry: expiry && expiryAsOf(expiry, ctx.now()) };
  },
  // A cached "support ended" stays in the past even when the clock stepped back since.
  atScrape: (data, nowMs) => (data.expiry ? { expiry: expiryAsOf(data.expiry, nowMs) } : data),
};

/**
 * The expiry as of `nowMs`: an ended answer is never in the future, also when the wall clock
 * stepped back since it was seen (then it ended "now").
 */
export function expiryAsOf(expiry: Expiry, nowMs: number): Expiry {
  return expiry.ended && expiry.atMs > nowMs ? { ...expiry, atMs: nowMs } : expiry;
}
