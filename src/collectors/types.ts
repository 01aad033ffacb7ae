// What every collector gets and gives.

import type { CommandName, CommandPaths } from '../host/commands.js';
import type { CommandResult } from '../host/exec.js';
import type { HostPaths } from '../host/paths.js';
import type { Logger } from '../log.js';

export interface CollectorContext {
  readonly paths: HostPaths;
  readonly commands: CommandPaths;
  /** Run a known command (resolved at start-up) with the configured deadline and output cap. */
  readonly run: (command: CommandName, args: readonly string[]) => Promise<CommandResult>;
  readonly log: Logger;
  /** Current time, unix milliseconds (frozen in tests). */
  readonly now: () => number;
  /**
   * Record a problem that does not stop the collector (one unreadable file among several). Any
   * problem makes klp_scrape_collector_success 0 for this collector.
   */
  readonly problem: (message: string) => void;
}
