// What one collection knows about the host: each collector's data (absent when the collector
// is disabled or failed) and each collector's health.

import type { Upstream } from '../collectors/collector.js';
import type { CollectorName } from '../collectors/index.js';
import type { CommandPaths } from '../host/commands.js';

export interface CollectorHealth {
  readonly name: CollectorName;
  readonly success: boolean;
  readonly durationSeconds: number;
  /** Cached collectors only: unix ms of the last successful refresh. */
  readonly lastSuccessMs?: number | undefined;
  readonly cached: boolean;
}

/** Each collector's data under its name, with the health of every enabled collector. */
export type Snapshot = Upstream & {
  readonly health: readonly CollectorHealth[];
  readonly commands: CommandPaths;
};
