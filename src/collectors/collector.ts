// What a collector is: a declared unit with a name, a switch, what it needs from the collectors
// before it, and how it collects. The scraper (scrape/scraper.ts) runs the list in
// collectors/index.ts in order; the --collector.<name> flags and their help come from the same list.
//
// Two kinds:
//  - direct: reads the host on every scrape (synchronous, cheap: sysfs, procfs);
//  - cached: runs commands, so its value is kept until its inputs change. `inputs` computes,
//    cheaply and on every scrape, everything the value depends on (file stamps, what earlier
//    collectors found); `collect` sees only those inputs, never the other collectors' data, so an
//    input cannot be forgotten in the cache key: what collect does not get, it cannot read.

import type { Config } from '../config/config.js';
import type { Setting } from '../config/settings.js';
import type { CommandPaths } from '../host/commands.js';
import type { CommandResult } from '../host/exec.js';
import type { HostPaths } from '../host/paths.js';
import type { Logger } from '../log.js';
import type { LivePatchSystem } from '../systems/system.js';
import type { Collected, CollectorName } from './index.js';

export interface CollectorContext {
  readonly paths: HostPaths;
  readonly commands: CommandPaths;
  readonly config: Config;
  /** The live patch system of the host (package names, tools, support data). */
  readonly system: LivePatchSystem;
  /** Run a known command (resolved at start-up) with the configured deadline and output cap. */
  readonly run: (command: string, args: readonly string[]) => Promise<CommandResult>;
  /**
   * Run `compute` at most once per `intervalMs` for `key` (a slow or locking command), and give
   * its last answer in between. A failed compute is not remembered: the next refresh tries again.
   */
  readonly throttled: <T>(key: string, intervalMs: number, compute: () => Promise<T>) => Promise<Throttled<T>>;
  /**
   * What `throttled` would do now for `key`: "due" (it would run: the interval is over, or the
   * clock stepped back behind the last answer), or when its answer is from.
   */
  readonly throttleState: (key: string, intervalMs: number) => number | 'due';
  readonly log: Logger;
  /** Current time, unix milliseconds (frozen in tests). */
  readonly now: () => number;
  /**
   * Record a problem that does not stop the collector (one unreadable file among several). Any
   * problem makes klp_scrape_collector_success 0 for this collector.
   */
  readonly problem: (message: string) => void;
}

export interface Throttled<T> {
  readonly value: T;
  /** When it was computed, unix ms. */
  readonly atMs: number;
}

/** What the collectors before this one found (absent: disabled, failed, or not yet run). */
export type Upstream = { readonly [N in CollectorName]?: Collected[N] | undefined };

interface Declared<N extends CollectorName> {
  readonly name: N;
  /** Help of --collector.<name>: what it reads and how often. */
  readonly help: string;
  readonly enabledByDefault: boolean;
  /** Collectors whose data it cannot do without: when one is disabled or failed, this one fails too. */
  readonly requires?: readonly CollectorName[];
  /** Collectors whose data it uses when there is some. */
  readonly uses?: readonly CollectorName[];
  /** Its own settings (--collector.<name>.<option>), listed after the switches in --help. */
  readonly settings?: readonly Setting[];
}

export interface DirectCollector<N extends CollectorName> extends Declared<N> {
  readonly kind: 'direct';
  collect(ctx: CollectorContext, upstream: Upstream): Collected[N];
}

export interface CachedCollector<N extends CollectorName, I> extends Declared<N> {
  readonly kind: 'cached';
  /** Everything the value depends on, cheap to compute; JSON-encoded, it is the cache key. */
  inputs(ctx: CollectorContext, upstream: Upstream): I;
  collect(ctx: CollectorContext, inputs: I): Promise<Collected[N]>;
  /** The cached value as one scrape sees it (values relative to the time of the scrape). */
  atScrape?(value: Collected[N], nowMs: number): Collected[N];
}

export type Collector<N extends CollectorName = CollectorName> = DirectCollector<N> | CachedCollector<N, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
