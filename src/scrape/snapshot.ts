// What one collection knows about the host: each collector's data (absent when the collector
// is disabled or failed) and each collector's health.

import type { CollectorName } from '../config/settings.js';
import type { KernelData } from '../collectors/kernel.js';
import type { KlpData } from '../collectors/klp.js';
import type { Expiry } from '../collectors/lifecycle.js';
import type { LivepatchData } from '../collectors/livepatch.js';
import type { PackagesData } from '../collectors/packages.js';
import type { RepositoriesData } from '../collectors/repositories.js';
import type { CommandPaths } from '../host/commands.js';
import type { Taint } from '../parsers/taint.js';

export interface CollectorHealth {
  readonly name: CollectorName;
  readonly success: boolean;
  readonly durationSeconds: number;
  /** Cached collectors only: unix ms of the last successful refresh. */
  readonly lastSuccessMs?: number | undefined;
  readonly cached: boolean;
}

export interface Snapshot {
  readonly health: readonly CollectorHealth[];
  readonly commands: CommandPaths;
  readonly kernel?: KernelData | undefined;
  readonly livepatch?: LivepatchData | undefined;
  readonly taint?: Taint | undefined;
  readonly packages?: PackagesData | undefined;
  readonly klp?: KlpData | undefined;
  /** Present when the lifecycle collector ran; `expiry` undefined when no source had a date. */
  readonly lifecycle?: { readonly expiry: Expiry | undefined } | undefined;
  readonly repositories?: RepositoriesData | undefined;
}
