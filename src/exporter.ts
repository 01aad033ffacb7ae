// The exporter as one object: configuration → host paths, commands and scraper → metrics text.
// Used by the HTTP server and by textfile mode.

import { gzipSync } from 'node:zlib';
import type { Registry } from 'prom-client';
import { readBuildInfo, type BuildInfo } from './build-info.js';
import type { Config } from './config/config.js';
import { resolveCommands, type CommandPaths } from './host/commands.js';
import { resolveHostPaths } from './host/paths.js';
import type { Logger } from './log.js';
import { processMetricsRegistry } from './process-metrics.js';
import { renderMetrics } from './scrape/render.js';
import { Scraper } from './scrape/scraper.js';
import type { Snapshot } from './scrape/snapshot.js';
import { liveStatus } from './status.js';
import { SYSTEM } from './systems/index.js';
import type { LivePatchSystem } from './systems/system.js';

export interface ExporterOptions {
  /** Build info to report (tests pin it); default: this build's. */
  readonly buildInfo?: BuildInfo;
  /** The live patch system (tests may give another); default: the one systems/ chooses. */
  readonly system?: LivePatchSystem;
  /** The wall clock, unix ms (tests freeze it); default: Date.now. */
  readonly now?: () => number;
}

let processRegistry: Registry | undefined;

/** process_* and nodejs_* metrics, registered once per process (on the first scrape that wants them). */
function processMetrics(): Registry {
  processRegistry ??= processMetricsRegistry();
  return processRegistry;
}

/** What a scrape asks for. */
export interface BodyOptions {
  /** Add the process_* and nodejs_* metrics (default: unless --web.disable-exporter-metrics). */
  readonly processMetrics?: boolean;
  /** The body gzip-compressed (Content-Encoding: gzip). */
  readonly gzip?: boolean;
}

/** One rendering of a snapshot: its text as bytes, and those bytes compressed once if a scrape asks. */
interface Rendering {
  readonly snapshot: Snapshot;
  readonly reloadOk: boolean;
  readonly processMetrics: boolean;
  readonly body: Promise<Buffer>;
  gzipped?: Promise<Buffer>;
}

/**
 * What the scraper and the collectors read: the whole configuration but the sections that only
 * the web server, the rendering and the logger read. Listed by exclusion, so that a collector's
 * new setting is never left out.
 */
function scraperInputs(config: Config): string {
  const { web: _web, scrape: _scrape, klp: _klp, log: _log, textfileOutput: _textfileOutput, ...read } = config;
  return JSON.stringify(read);
}

export class Exporter {
  configReloadSuccessful = true;
  private scraper: Scraper;
  /** Commands started for the life of the process: a counter, so it outlives the scraper a reload replaces. */
  private readonly commandRuns = new Map<string, number>();
  /** Scrapers replaced by a reload, left to finish what they started. */
  private readonly retired = new Set<Scraper>();
  /**
   * The encoded text of the last snapshot. Scrapes that arrive while a collection is under way
   * share it (single flight), and they share its rendering too (process metrics included, taken
   * once for all of them) instead of each rendering and compressing it again.
   */
  private rendered: Rendering | undefined;

  private constructor(
    private cfg: Config,
    private readonly log: Logger,
    readonly commands: CommandPaths,
    private readonly buildInfo: BuildInfo,
    private readonly system: LivePatchSystem,
    /** Current time, unix ms. */
    readonly now: () => number,
  ) {
    this.scraper = this.newScraper(cfg);
  }

  static async create(config: Config, log: Logger, opts: ExporterOptions = {}): Promise<Exporter> {
    const system = opts.system ?? SYSTEM;
    const commands = await resolveCommands(config.exec.path, system.commands, (command, file, reason) => log.error('refusing to run a command that others could replace; fix its permissions', { command, file, reason }));
    log.debug('commands found', Object.fromEntries(Object.entries(commands)));
    return new Exporter(config, log, commands, opts.buildInfo ?? readBuildInfo(), system, opts.now ?? Date.now);
  }

  get config(): Config {
    return this.cfg;
  }

  private newScraper(config: Config): Scraper {
    return new Scraper({ config, paths: resolveHostPaths(config.path), commands: this.commands, system: this.system, log: this.log, now: this.now, commandRuns: this.commandRuns });
  }

  /**
   * Take a new configuration (reload); returns whether it differs from the one in force. An
   * unchanged configuration changes nothing. When what the collectors read (see scraperInputs) is
   * unchanged, the scraper and its caches stay; otherwise a new
   * scraper starts with empty caches, and the old one is not stopped: a refresh under way ends by
   * itself (its commands have deadlines) instead of failing every scrape that waits for it.
   */
  applyConfig(config: Config): boolean {
    if (JSON.stringify(config) === JSON.stringify(this.cfg)) return false;
    if (scraperInputs(config) !== scraperInputs(this.cfg)) {
      const old = this.scraper;
      this.retired.add(old);
      // Nothing it started can still be running after the exec deadline.
      setTimeout(() => {
        old.close();
        this.retired.delete(old);
      }, this.cfg.exec.timeoutMs + 1000).unref();
      this.scraper = this.newScraper(config);
    }
    this.cfg = config;
    return true;
  }

  /** Warm the caches, so that the first scrape does not wait for rpm. */
  async warmUp(): Promise<void> {
    await this.scraper.collect(this.cfg.scrape.timeoutMs);
  }

  /** The exposition text; waits for collectors at most `timeoutMs`. */
  async metrics(timeoutMs: number, processMetrics = !this.cfg.web.disableExporterMetrics): Promise<string> {
    return (await this.metricsBody(timeoutMs, { processMetrics })).toString('utf8');
  }

  /** The exposition as UTF-8 bytes (gzip-compressed with `gzip`), what the telemetry endpoint sends. */
  async metricsBody(timeoutMs: number, opts: BodyOptions = {}): Promise<Buffer> {
    const withProcess = opts.processMetrics ?? !this.cfg.web.disableExporterMetrics;
    const scraper = this.scraper;
    const snapshot = await scraper.collect(timeoutMs);
    let r = this.rendered;
    if (!r || r.snapshot !== snapshot || r.reloadOk !== this.configReloadSuccessful || r.processMetrics !== withProcess) {
      r = { snapshot, reloadOk: this.configReloadSuccessful, processMetrics: withProcess, body: this.render(snapshot, scraper.commandRuns, withProcess) };
      this.rendered = r;
    }
    if (!opts.gzip) return r.body;
    r.gzipped ??= r.body.then((body) => gzipSync(body));
    return r.gzipped;
  }

  private async render(snapshot: Snapshot, commandRuns: Scraper['commandRuns'], withProcess: boolean): Promise<Buffer> {
    const own = renderMetrics(snapshot, liveStatus(snapshot, this.system), {
      nowMs: this.now(),
      cveInfo: this.cfg.klp.cveInfo,
      buildInfo: this.buildInfo,
      configReloadSuccessful: this.configReloadSuccessful,
      commandRuns,
      commandNames: this.system.commands,
      expirySources: this.system.expirySources,
    });
    const [text, processText] = await Promise.all([own, withProcess ? processMetrics().metrics() : '']);
    return Buffer.from(text + processText, 'utf8');
  }

  close(): void {
    this.scraper.close();
    for (const s of this.retired) s.close();
  }
}
