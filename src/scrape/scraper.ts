// One collection of the host: runs the enabled collectors in dependency order, times them,
// keeps the expensive ones cached, and lets concurrent scrapes share one collection.

import type { Config } from '../config/config.js';
import type { CollectorName } from '../config/settings.js';
import { collectKernel, type KernelData } from '../collectors/kernel.js';
import { collectKlp, type KlpData } from '../collectors/klp.js';
import { collectLifecycle, LIFECYCLE_PATHS, ZypperMemo, type Expiry } from '../collectors/lifecycle.js';
import { collectLivepatch, type LivepatchData } from '../collectors/livepatch.js';
import { collectPackages, rpmDbStamp, type PackagesData } from '../collectors/packages.js';
import { collectRepositories, RepoConfigMemo, repositoriesStamp, type RepositoriesData } from '../collectors/repositories.js';
import { collectTaint } from '../collectors/taint.js';
import type { CollectorContext } from '../collectors/types.js';
import { describeError } from '../errors.js';
import type { CommandName, CommandPaths } from '../host/commands.js';
import { runCommand } from '../host/exec.js';
import { statStamp } from '../host/files.js';
import { rootfsPath, type HostPaths } from '../host/paths.js';
import type { Logger } from '../log.js';
import { livepatchPackageNamesFor } from '../parsers/rpm.js';
import type { Taint } from '../parsers/taint.js';
import { CachedValue, type Attempt } from './cache.js';
import { runningKernelPackage, runningLivepatchPackages } from './derive.js';
import type { CollectorHealth, Snapshot } from './snapshot.js';

export interface ScraperDeps {
  readonly config: Config;
  readonly paths: HostPaths;
  readonly commands: CommandPaths;
  readonly log: Logger;
  /** Unix ms. */
  readonly now: () => number;
}

export class Scraper {
  private readonly packages: CachedValue<PackagesData>;
  private readonly klp: CachedValue<KlpData>;
  private readonly lifecycle: CachedValue<{ expiry: Expiry | undefined }>;
  private readonly repositories: CachedValue<RepositoriesData>;
  private readonly repoConfig = new RepoConfigMemo();
  private readonly zypper = new ZypperMemo();
  private readonly abort = new AbortController();
  private inflight: { promise: Promise<Snapshot>; bringForward: (at: number) => void } | undefined;
  /** Commands started since start-up, by command name. */
  readonly commandRuns = new Map<CommandName, number>();

  constructor(private readonly deps: ScraperDeps) {
    const maxAge = deps.config.cache.maxAgeMs;
    this.packages = new CachedValue(maxAge, deps.now);
    this.klp = new CachedValue(maxAge, deps.now);
    this.lifecycle = new CachedValue(maxAge, deps.now);
    this.repositories = new CachedValue(maxAge, deps.now);
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
    const promise = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.collectOnce(deadline)).finally(() => {
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
    const { config, paths, commands, log, now } = this.deps;
    const clog = log.child({ collector: name });
    return {
      paths,
      commands,
      log: clog,
      now,
      problem: (message) => problems.push(message),
      run: (command: CommandName, args) => {
        const file = commands[command];
        if (!file) throw new Error(`${command} not found on PATH`);
        this.commandRuns.set(command, (this.commandRuns.get(command) ?? 0) + 1);
        return runCommand(file, args, command, {
          timeoutMs: config.exec.timeoutMs,
          maxOutputBytes: config.exec.maxOutputBytes,
          signal: this.abort.signal,
        });
      },
    };
  }

  /** Run a collector that reads on every scrape (synchronous file reads, see host/files.ts). */
  private direct<T>(name: CollectorName, health: CollectorHealth[], fn: (ctx: CollectorContext) => T): T | undefined {
    if (!this.deps.config.collectors[name]) return undefined;
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

  /** Run a cached collector: reuse its value while `key` is unchanged. */
  private async cached<T>(
    name: CollectorName,
    cache: CachedValue<T>,
    key: string,
    health: CollectorHealth[],
    deadline: Promise<void>,
    fn: (ctx: CollectorContext) => Promise<T>,
  ): Promise<T | undefined> {
    if (!this.deps.config.collectors[name]) return undefined;
    const compute = async (): Promise<Attempt<T>> => {
      const problems: string[] = [];
      try {
        const value = await fn(this.context(name, problems));
        this.report(name, problems);
        return { value, problems };
      } catch (err) {
        problems.push(describeError(err));
        this.report(name, problems);
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
    for (const p of problems) this.deps.log.error('collector failed', { collector: name, err: p });
  }

  private async collectOnce(deadline: Promise<void>): Promise<Snapshot> {
    const { config, paths, commands } = this.deps;
    const health: CollectorHealth[] = [];
    const kernelData = this.direct<KernelData>('kernel', health, collectKernel);
    const livepatch = this.direct<LivepatchData>('livepatch', health, collectLivepatch);
    const taint = this.direct<Taint>('taint', health, collectTaint);
    const kernel = kernelData?.kernel;
    const rpmStamp = rpmDbStamp(this.context('packages', []));

    const packages = await this.cached('packages', this.packages, `${rpmStamp}|${kernel?.flavor ?? ''}`, health, deadline, (ctx) =>
      collectPackages(ctx, kernel?.flavor),
    );
    const runningLp = kernel && packages ? runningLivepatchPackages(kernel, packages)[0] : undefined;

    const sysfsSig = (livepatch?.patches ?? []).map((p) => `${p.name}:${p.enabled}:${p.transition}`).join(',');
    const klp = await this.cached('klp', this.klp, `${rpmStamp}|${sysfsSig}|${runningLp?.version}-${runningLp?.release}`, health, deadline, async (ctx) => {
      const data = await collectKlp(ctx, runningLp);
      this.crossCheck(data, livepatch);
      return data;
    });

    let lifecycle: { expiry: Expiry | undefined } | undefined;
    if (kernel) {
      const stamps = LIFECYCLE_PATHS.map((p) => statStamp(rootfsPath(paths, p)));
      const zypperBucket = config.lifecycle.zypper ? Math.floor(this.deps.now() / config.lifecycle.zypperIntervalMs) : 0;
      const kernelPackage = packages ? runningKernelPackage(kernel, packages) : undefined;
      // The inputs include what the packages collector found, which may still be refreshing.
      const inputs = `${runningLp?.version}-${runningLp?.release}|${kernelPackage?.buildTime}`;
      const key = `${stamps.join('|')}|${rpmStamp}|${kernel.release}|${inputs}|${zypperBucket}`;
      lifecycle = await this.cached('lifecycle', this.lifecycle, key, health, deadline, async (ctx) => ({
        expiry: await collectLifecycle(
          ctx,
          { candidateNames: livepatchPackageNamesFor(kernel), installed: runningLp, kernelPackage },
          config.lifecycle,
          this.zypper,
        ),
      }));
    } else if (config.collectors.lifecycle) {
      health.push({ name: 'lifecycle', success: false, durationSeconds: 0, cached: true, lastSuccessMs: this.lifecycle.peek()?.lastSuccessMs });
      this.deps.log.error('collector failed', { collector: 'lifecycle', err: 'running kernel unknown (kernel collector failed or disabled)' });
    }
    let repositories: RepositoriesData | undefined;
    if (kernel && config.collectors.repositories) {
      // Off the scrape path: the metadata is read asynchronously, and scrapes are answered with
      // the previous result while a refresh runs (src/scrape/cache.ts).
      const ctx = this.context('repositories', []);
      const repoConfig = this.repoConfig.get(ctx);
      const names = livepatchPackageNamesFor(kernel);
      const key = `${repositoriesStamp(ctx, repoConfig)}|${names.join(',')}`;
      repositories = await this.cached('repositories', this.repositories, key, health, deadline, (c) => collectRepositories(c, repoConfig, names));
    } else if (config.collectors.repositories) {
      health.push({ name: 'repositories', success: false, durationSeconds: 0, cached: true, lastSuccessMs: this.repositories.peek()?.lastSuccessMs });
      this.deps.log.error('collector failed', { collector: 'repositories', err: 'running kernel unknown (kernel collector failed or disabled)' });
    }
    return { health, commands, kernel: kernelData, livepatch, taint, packages, klp, lifecycle, repositories };
  }

  /** klp status is computed from the same sysfs files: say so when the two disagree. */
  private crossCheck(data: KlpData, livepatch: LivepatchData | undefined): void {
    if (!data.status || !livepatch) return;
    const sysfsTransition = livepatch.patches.some((p) => p.transition === 1);
    if ((data.status === 'in_progress') !== sysfsTransition) {
      this.deps.log.warn('klp status disagrees with sysfs', { klp_status: data.status, sysfs_transition: sysfsTransition });
    }
  }
}
