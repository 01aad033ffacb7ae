#!/usr/bin/env node
// klp_exporter entry point: flags and config → serve /metrics, or write a textfile once, or
// check the configuration; subcommands print the rules and dashboards or run the demo.

import { randomBytes } from 'node:crypto';
import { promises as fs, realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readBuildInfo } from './build-info.js';
import { helpText, loadConfig, parseCommandLine, type CommandLine, type Config } from './config/config.js';
import { describeError, ExporterError } from './errors.js';
import { Exporter, type ExporterOptions } from './exporter.js';
import { resolveHostPaths } from './host/paths.js';
import { createLogger, REPEAT_INTERVAL_MS, type Logger } from './log.js';
import { dashboardCommand, rulesCommand, SUBCOMMANDS_HELP, UsageError } from './monitoring.js';
import type { WebConfig } from './web/index.js';

// The HTTP server (express) and the web config (TLS, basic auth) are imported by the runs that
// need them: textfile mode and --config.check start faster and smaller without them.

/** Write the metrics for node_exporter's textfile collector: temp file + rename, same directory. */
export async function writeTextfile(exporter: Exporter, file: string): Promise<void> {
  const text = await exporter.metrics(exporter.config.scrape.timeoutMs, false);
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await fs.writeFile(tmp, text, { mode: 0o644, flag: 'wx' });
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw textfileError(file, err);
  }
}

/** Why the textfile could not be written, naming the output file or its directory (never the temporary file). */
function textfileError(file: string, err: unknown): ExporterError {
  const code = (err as NodeJS.ErrnoException)?.code;
  const dir = path.dirname(file);
  switch (code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return new ExporterError(`${dir}: the directory of --textfile.output does not exist`);
    case 'EACCES':
    case 'EPERM':
      return new ExporterError(`${dir}: permission denied: the exporter cannot create files in the directory of --textfile.output`);
    case 'EROFS':
      return new ExporterError(`${dir}: read-only file system: the directory of --textfile.output cannot be written`);
    case 'ENOSPC':
    case 'EDQUOT':
      return new ExporterError(`${dir}: no space left (or quota exceeded) for --textfile.output`);
    case 'EISDIR':
      return new ExporterError(`${file}: --textfile.output is a directory; give a file name in it (like ${path.join(file, 'klp.prom')})`);
    default:
      return new ExporterError(`${file}: cannot write --textfile.output: ${code ?? describeError(err)}`);
  }
}

/**
 * The host root, for the log line of the start: errors name host files as the host sees them
 * (host/paths.ts hostMessage), so the root path they are under is said once, there.
 */
function hostRoot(config: Config): { rootfs?: string } {
  const { rootfs } = resolveHostPaths(config.path);
  return rootfs === '/' ? {} : { rootfs };
}

async function serve(cmd: CommandLine, config: Config, log: Logger, webConfig: WebConfig | undefined, opts: ExporterOptions): Promise<void> {
  const exporter = await Exporter.create(config, log, opts);

  const [{ createApp }, { createWebServer, LiveWebConfig, protectedHandler, connectionLimitFor, openFilesLimit, listenError, NODE_CHECK_RARELY_MS }] = await Promise.all([
    import('./server/app.js'),
    import('./web/index.js'),
  ]);
  const web = new LiveWebConfig(webConfig);

  /** Read the configuration and the web configuration again; both or neither take effect. */
  const reloadOnce = async (): Promise<string | undefined> => {
    try {
      const next = await loadConfig(cmd);
      const webChanged = web.reload(next.web.configFile);
      const changed = exporter.applyConfig(next);
      exporter.configReloadSuccessful = true;
      log.info(changed || webChanged ? 'configuration reloaded' : 'configuration reloaded, unchanged');
      return undefined;
    } catch (err) {
      exporter.configReloadSuccessful = false;
      log.error('configuration reload failed; keeping the previous configuration', { err: describeError(err) });
      return describeError(err);
    }
  };
  // Reloads coalesce: while one runs, every further request (SIGHUP, POST /-/reload) shares the
  // single reload that starts after it, so a storm of signals costs two reloads, not hundreds.
  let running: Promise<string | undefined> | undefined;
  let queued: Promise<string | undefined> | undefined;
  const start = () => (running = reloadOnce().finally(() => (running = undefined)));
  const reload = (): Promise<string | undefined> => {
    if (queued) return queued;
    if (!running) return start();
    queued = running.then(() => {
      queued = undefined;
      return start();
    });
    return queued;
  };

  const app = createApp({ exporter, log, reload });
  // --web.config.file: TLS, client certificates, basic auth (all paths but /-/healthy) and headers; see src/web/.
  // The connection limit follows the open files limit (src/web/connections.ts).
  // connectionsCheckingIntervalMs: Node checks the headers and request timeouts on a timer that
  // wakes the process whether or not anyone is connected (docs/benchmarks.md). Every request must
  // arrive complete within the headers timeout of connecting, or of the end of the previous response
  // plus the keep-alive timeout, and bodies are refused: src/web/connections.ts enforces that with
  // timers that exist only while connections do, so Node's check runs as rarely as a timer can.
  // One server per --web.listen-address (the flag may be repeated, as with exporter-toolkit), all serving the same
  // app behind one auth layer (one bcrypt worker, login queue and cache), and sharing the connection limit.
  const addresses = config.web.listenAddresses.length;
  const serverOptions = {
    requestTimeoutMs: 60_000,
    headersTimeoutMs: 10_000,
    connectionsCheckingIntervalMs: NODE_CHECK_RARELY_MS,
    keepAliveTimeoutMs: 30_000,
    maxHeadersCount: 100,
    maxConnections: Math.max(1, Math.floor(connectionLimitFor(openFilesLimit()) / addresses)),
    auth: false,
    log,
  };
  const handler = protectedHandler(app, web, { log });
  const servers = config.web.listenAddresses.map(() => createWebServer(handler, web, serverOptions));
  try {
    await Promise.all(
      servers.map(
        (server, i) =>
          new Promise<void>((resolve, reject) => {
            const { address, host, port } = config.web.listenAddresses[i]!;
            server.once('error', (err) => reject(listenError(address, err)));
            server.listen({ host, port }, resolve);
          }),
      ),
    );
  } catch (err) {
    for (const server of servers) server.close();
    exporter.close();
    throw err;
  }
  log.info('listening', { address: config.web.listenAddresses.map((a) => a.address).join(','), telemetry_path: config.web.telemetryPath, ...hostRoot(config), ...exporter.commands });
  exporter.warmUp().catch(() => undefined);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('shutting down', { signal });
    exporter.close();
    let open = servers.length;
    for (const server of servers) {
      server.close(() => {
        if (--open === 0) process.exit(0);
      });
      server.closeIdleConnections();
    }
    // Keep-alive connections of scrapes still in flight become idle only after their response; close them
    // then, or server.close() would wait for the keep-alive timeout.
    setInterval(() => servers.forEach((server) => server.closeIdleConnections()), 100).unref();
    setTimeout(() => {
      servers.forEach((server) => server.closeAllConnections());
      process.exit(0);
    }, 5000).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => void reload());
}

/** Subcommands: the first argument, when it is one of these names. */
async function subcommand(name: string, args: readonly string[]): Promise<number> {
  try {
    if (name === 'demo') {
      const { runDemo } = await import('./demo.js');
      return await runDemo(args);
    }
    process.stdout.write(name === 'rules' ? rulesCommand(args) : dashboardCommand(args));
    return 0;
  } catch (err) {
    process.stderr.write(`klp_exporter ${name}: ${err instanceof UsageError ? err.message : describeError(err)}\n`);
    return 2;
  }
}

/** Run the exporter with `argv`; `opts` lets a caller (tests) give the clock. Resolves with the exit code, or -1 while serving. */
export async function main(argv: readonly string[], opts: ExporterOptions = {}): Promise<number> {
  if (argv[0] === 'rules' || argv[0] === 'dashboard' || argv[0] === 'demo') return subcommand(argv[0], argv.slice(1));
  let cmd: CommandLine;
  let config: Config;
  let webConfig: WebConfig | undefined;
  try {
    cmd = parseCommandLine(argv);
    if (cmd.help) {
      process.stdout.write(helpText() + SUBCOMMANDS_HELP);
      return 0;
    }
    if (cmd.version) {
      const info = readBuildInfo();
      process.stdout.write(`klp_exporter, version ${info.version} (revision: ${info.revision})\n  node: ${info.nodejsVersion}\n`);
      return 0;
    }
    config = await loadConfig(cmd);
    // The web config file is read at start-up (and checked by --config.check) and again on reload; errors name file and key.
    if (config.web.configFile !== undefined && !config.textfileOutput) webConfig = (await import('./web/index.js')).loadWebConfig(config.web.configFile);
  } catch (err) {
    process.stderr.write(`klp_exporter: ${describeError(err)}\n`);
    return 2;
  }
  // The same line at most once a minute: a repeated cause (a reload storm, a broken file) cannot flood the log.
  const log = createLogger(config.log.level, config.log.format, undefined, { repeatIntervalMs: REPEAT_INTERVAL_MS });
  if (cmd.check) {
    process.stdout.write(`configuration OK${cmd.configFile ? `: ${cmd.configFile}` : ''}\n`);
    return 0;
  }
  if (config.textfileOutput) {
    const exporter = await Exporter.create(config, log, opts);
    try {
      await writeTextfile(exporter, config.textfileOutput);
      log.info('wrote textfile', { file: config.textfileOutput, ...hostRoot(config) });
      return 0;
    } catch (err) {
      log.error('cannot write textfile', { file: config.textfileOutput, err: describeError(err) });
      return 1;
    } finally {
      exporter.close();
    }
  }
  try {
    await serve(cmd, config, log, webConfig, opts);
  } catch (err) {
    log.error('cannot start', { err: describeError(err) });
    return 1;
  }
  return -1; // keep running
}

/**
 * Whether this module is the program node was asked to run. process.argv[1] is the path as invoked: a symlink
 * (`/usr/bin/klp_exporter`, npm's `node_modules/.bin/klp_exporter`, a global install's bin link) or a relative
 * path, so both sides are compared as real paths.
 */
export function isMainModule(moduleUrl: string, argv1: string | undefined = process.argv[1]): boolean {
  if (argv1 === undefined) return false;
  const real = (p: string) => {
    try {
      return realpathSync(p);
    } catch {
      return path.resolve(p);
    }
  };
  return real(argv1) === real(fileURLToPath(moduleUrl));
}

if (isMainModule(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => {
      if (code >= 0) process.exit(code);
    },
    (err: unknown) => {
      process.stderr.write(`klp_exporter: ${describeError(err)}\n`);
      process.exit(1);
    },
  );
}
