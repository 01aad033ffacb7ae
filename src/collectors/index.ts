// Every collector, in the order they run: a collector comes after those it requires or uses.
// Adding one: a file beside this one exporting its unit (see collector.ts and CONTRIBUTING.md),
// its data type in `Collected`, and its unit in COLLECTORS.

import type { Collector } from './collector.js';
import { kernel, type KernelData } from './kernel.js';
import { klp, type KlpData } from './klp.js';
import { lifecycle, type LifecycleData } from './lifecycle.js';
import { livepatch, type LivepatchData } from './livepatch.js';
import { packages, type PackagesData } from './packages.js';
import { repositories, type RepositoriesData } from './repositories.js';
import { taint } from './taint.js';
import type { Taint } from '../parsers/taint.js';

/** What each collector gives, by collector name. */
export interface Collected {
  readonly kernel: KernelData;
  readonly livepatch: LivepatchData;
  readonly taint: Taint;
  readonly packages: PackagesData;
  readonly klp: KlpData;
  readonly lifecycle: LifecycleData;
  readonly repositories: RepositoriesData;
}

export type CollectorName = keyof Collected;

export const COLLECTORS: readonly Collector[] = [kernel, livepatch, taint, packages, klp, lifecycle, repositories];

export const COLLECTOR_NAMES: readonly CollectorName[] = COLLECTORS.map((c) => c.name);
