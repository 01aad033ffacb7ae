// One collection of the host: runs the enabled collectors in dependency order, times them,
// keeps the expensive ones cached, and lets concurrent scrapes share one collection.

import type { CollectorContext, Throttled, Upstream } from '../collectors/collector.js';
import { COLLECTORS, type CollectorName } from '../collectors/index.js';
import type { Config } from '../config/config.js';
import { describeError } from '../errors.js';
import { commandNotFound, type CommandPaths } from '../host/commands.js';
import { runCommand } from '../host/exec.js';
import { hostMessage, type HostPaths } from '../host/paths.js';
import type { Logger } from '../log.js';
import type { LivePatchSystem } from '../systems/system.js';
import { CachedValue, type Attempt } from './cache.js';
import type { CollectorHealth, Snapshot } from './snapshot.js';

export interface ScraperDeps {
  readonly config: Config;
  readonly paths: HostPaths;
  readonly commands: CommandPaths;
  readonly system: LivePatchSystem;
  readonly log: Logger;
  /** Unix ms. */
  readonly now: () => number;
  /** Where commands started are counted; owned by whoever outlives the scraper (reloads). */
  readonly commandRuns?: Map<string, number>;
}

export class Scraper {
  /** The value of each cached collector. */
  private readonly caches = new Map<CollectorName, CachedValue<unknown>>();
  /** The last answer of each throttled command (see CollectorContext.throttled). */
  private readonly throttle = new Map<string, Throttled<unknown>>();
  private readonly abort = new AbortController();
  private inflight: { promise: Promise<Snapshot>; bringForward: (at: number) => void } | undefined;
  /** Commands started since start-up (not since this scraper: it is replaced on reload), by command name. */
  readonly commandRuns: Map<string, number>;

  constructor(private readonly deps: ScraperDeps) {
    this.commandRuns = deps.commandRuns ?? new Map();
    for (const c of COLLECTORS) if (c.kind === 'cached') this.caches.set(c.name, new CachedValue(deps.config.cache.maxAgeMs, deps.now));
  }

  /**
   * Collect, sharing a collection already under way. Resolves by `timeoutMs` at the latest: a
   * scrape that joins with a shorter deadline brings the shared deadline forward (collectors
   * still running then go on in the background and serve the next scrape).
   */
  collect(timeoutMs: number): Promise<Snapshot> {
    const due = performance.now() + timeoutMs;
    if (this.inflight) {
      this.inflight.bringForward(due);
      return this.inflight.promise;
    }
    let resolveDeadline!: () => void;
    const deadline = new Promise<void>((resolve) => (resolveDeadline = resolve));
    let timer: NodeJS.Timeout | undefined;
    let currentDue = Infinity;
    const bringForward = (at: number) => {
      if (at >= currentDue) return;
      currentDue = at;
      clearTimeout(timer);
      timer = setTimeout(resolveDeadline, Math.max(0, at - performance.now()));
    };
    bringForward(due);
    // Start at the end of this event-loop turn, so that every scrape read from the sockets in
    // the same poll joins this collection (the host reads are synchronous: started at once, a
    // collection would be over before the next socket is read).
    const promise = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.collectOnce(deadline))
      .finally(() => {
        clearTimeout(timer);
        this.inflight = undefined;
      });
    this.inflight = { promise, bringForward };
    return promise;
  }

  /** Stop: running commands are killed. */
  close(): void {
    this.abort.abort();
  }

  private context(name: CollectorName, problems: string[]): CollectorContext {
    const { config, paths, commands, system, log, now } = this.deps;
    const clog = log.child({ collector: name });
    return {
      paths,
      commands,
      config,
      system,
      log: clog,
      now,
      problem: (message) => problems.push(message),
      throttleState: (key, intervalMs) => {
        const last = this.throttle.get(key);
        return last && isFresh(last.atMs, now(), intervalMs) ? last.atMs : 'due';
      },
      throttled: async <T>(key: string, intervalMs: number, compute: () => Promise<T>): Promise<Throttled<T>> => {
        const last = this.throttle.get(key) as Throttled<T> | undefined;
        const at = now();
        if (last && isFresh(last.atMs, at, intervalMs)) return last;
        const answer = { value: await compute(), atMs: at };
        this.throttle.set(key, answer);
        return answer;
      },
      run: (command, args) => {
        const file = commands[command];
        if (!file) throw commandNotFound(command, config.exec.path);
        this.commandRuns.set(command, (this.commandRuns.get(command) ?? 0) + 1);
        return runCommand(file, args, command, {
          timeoutMs: config.exec.timeoutMs,
          maxOutputBytes: config.exec.maxOutputBytes,
          signal: this.abort.signal,
          log: clog,
        });
      },
    };
  }

  /** Run a collector that reads on every scrape (synchronous file reads, see host/files.ts). */
  private direct<T>(name: CollectorName, health: CollectorHealth[], fn: (ctx: CollectorContext) => T): T | undefined {
    const problems: string[] = [];
    const started = performance.now();
    let value: T | undefined;
    try {
      value = fn(this.context(name, problems));
    } catch (err) {
      problems.push(describeError(err));
    }
    this.report(name, problems);
    health.push({ name, success: problems.length === 0, durationSeconds: (performance.now() - started) / 1000, cached: false });
    return value;
  }

  /** Run a cached collector: reuse its value while its inputs are unchanged. */
  private async cached<T, I>(
    name: CollectorName,
    inputs: (ctx: CollectorContext) => I,
    collect: (ctx: CollectorContext, inputs: I) => Promise<T>,
    health: CollectorHealth[],
    deadline: Promise<void>,
  ): Promise<T | undefined> {
    const cache = this.caches.get(name) as CachedValue<T>;
    let key: string;
    let given: I;
    try {
      given = inputs(this.context(name, []));
      key = JSON.stringify(given) ?? '';
    } catch (err) {
      this.report(name, [describeError(err)]);
      health.push({ name, success: false, durationSeconds: 0, cached: true, lastSuccessMs: cache.peek()?.lastSuccessMs });
      return undefined;
    }
    // A recompute that fails the same way as the last attempt is not logged again (its success 0 stays).
    const previous = () => cache.peek()?.problems;
    const reportNew = (problems: string[]) => {
      const p = previous();
      if (!(p && p.length === problems.length && p.every((x, i) => x === problems[i]))) this.report(name, problems);
    };
    const compute = async (): Promise<Attempt<T>> => {
      const problems: string[] = [];
      try {
        const value = await collect(this.context(name, problems), given);
        reportNew(problems);
        return { value, problems };
      } catch (err) {
        problems.push(describeError(err));
        reportNew(problems);
        return { value: undefined, problems };
      }
    };
    const outcome = await cache.get(key, compute, deadline);
    if (!outcome) {
      this.deps.log.warn('collector still running at the scrape deadline; answering without it', { collector: name });
      health.push({ name, success: false, durationSeconds: 0, cached: true });
      return undefined;
    }
    health.push({ name, success: outcome.problems.length === 0, durationSeconds: outcome.durationSeconds, lastSuccessMs: outcome.lastSuccessMs, cached: true });
    return outcome.value;
  }

  private report(name: CollectorName, problems: string[]): void {
    // Host files named as the host sees them, whoever built the message (the root is said at start-up).
    for (const p of problems) this.deps.log.error('collector failed', { collector: name, err: hostMessage(this.deps.paths, p) });
  }

  /** Every enabled collector, in the declared order; each sees what the ones before it found. */
  private async collectOnce(deadline: Promise<void>): Promise<Snapshot> {
    const health: CollectorHealth[] = [];
    const found: { -readonly [N in keyof Upstream]: Upstream[N] } = {};
    for (const c of COLLECTORS) {
      if (!this.deps.config.collectors[c.name]) continue;
      const missing = (c.requires ?? []).find((n) => found[n] === undefined);
      if (missing !== undefined) {
        this.report(c.name, [`needs the ${missing} collector, which failed or is disabled`]);
        health.push({ name: c.name, success: false, durationSeconds: 0, cached: c.kind === 'cached', lastSuccessMs: this.caches.get(c.name)?.peek()?.lastSuccessMs });
        continue;
      }
      const upstream: Upstream = found;
      const value =
        c.kind === 'direct'
          ? this.direct(c.name, health, (ctx) => c.collect(ctx, upstream))
          : await this.cached(
              c.name,
              (ctx) => c.inputs(ctx, upstream),
              (ctx, inputs) => c.collect(ctx, inputs),
              health,
              deadline,
            );
      const seen = value !== undefined && c.kind === 'cached' && c.atScrape ? c.atScrape(value, this.deps.now()) : value;
      (found as Record<CollectorName, unknown>)[c.name] = seen;
    }
    return { ...found, health, commands: this.deps.commands };
  }
}

/** An answer from `atMs` still holds at `nowMs`: within the interval, and the clock did not step back behind it. */
function isFresh(atMs: number, nowMs: number, intervalMs: number): boolean {
  return nowMs >= atMs && nowMs - atMs < intervalMs;
}
