// Fixture hosts: a root tree plus recorded command outputs (see test/fixtures/README.md), and
// ways to run the exporter against one, in this process or as a real process.

import { cpSync, mkdtempSync, readdirSync, readFileSync, utimesSync } from 'node:fs';
import os from 'node:os';
import type { AddressInfo } from 'node:net';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { buildConfig, parseCommandLine, type Config } from '../../src/config/config.js';
import { Exporter } from '../../src/exporter.js';
import { createLogger, silentLogger, type Logger } from '../../src/log.js';
import { createApp } from '../../src/server/app.js';
import { ensureLargePrimary, REPO_FIXTURES } from './repo-fixtures.js';

export const PROJECT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const HOSTS = path.join(PROJECT, 'test/fixtures/hosts');

export interface Scenario {
  readonly name: string;
  readonly dir: string;
  /** The host's root file system. */
  readonly root: string;
  /** The host's commands (links to the fake tool). */
  readonly bin: string;
  /** The frozen clock of the scenario, RFC 3339. */
  readonly now: string;
  /** Extra exporter flags the scenario needs. */
  readonly args: readonly string[];
  readonly description: string;
}

export function listScenarios(): string[] {
  return readdirSync(HOSTS, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

export function loadScenario(name: string, hostsDir = HOSTS): Scenario {
  const dir = path.join(hostsDir, name);
  const meta = YAML.parse(readFileSync(path.join(dir, 'scenario.yaml'), 'utf8')) as { now: string; args?: string[]; description: string; mtimes?: Record<string, string> };
  // git does not keep modification times: set those the scenario depends on (repomd.xml = last refresh).
  for (const [rel, at] of Object.entries(meta.mtimes ?? {})) {
    const t = Date.parse(at) / 1000;
    utimesSync(path.join(dir, 'root', rel), t, t);
  }
  const repos = REPO_FIXTURES[name];
  if (repos?.largePrimary) ensureLargePrimary(path.join(dir, 'root'), repos);
  return { name, dir, root: path.join(dir, 'root'), bin: path.join(dir, 'bin'), now: meta.now, args: meta.args ?? [], description: meta.description };
}

/** The setting a flag argument names: `--no-x`, `--x=v` and `--x` all name "x". */
const flagName = (arg: string) => arg.replace(/^--(no-)?/, '').split('=')[0];

/**
 * Flags that point the exporter at a fixture host, with its frozen clock. A flag in `extra`
 * replaces the scenario's own (the exporter rejects a repeated flag instead of taking the last).
 * `--testing.now` is not an exporter flag but the test launcher's (main-at.mjs) and scenarioConfig's:
 * they inject the clock into the exporter (ExporterOptions.now).
 */
export function scenarioArgs(s: Scenario, extra: readonly string[] = []): string[] {
  const overridden = new Set(extra.filter((a) => a.startsWith('--')).map(flagName));
  const base: string[][] = [['--path.rootfs', s.root], ['--exec.path', s.bin], ['--testing.now', s.now], ['--web.disable-exporter-metrics'], ...s.args.map((a) => [a])];
  return [...base.filter(([flag]) => !overridden.has(flagName(flag!))).flat(), ...extra];
}

/** The exporter's configuration and the frozen clock of `args` (from scenarioArgs; the last --testing.now wins). */
export function scenarioConfig(args: readonly string[]): { config: Config; now: () => number } {
  const rest: string[] = [];
  let at: string | undefined;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--testing.now') at = args[++i];
    else if (args[i]!.startsWith('--testing.now=')) at = args[i]!.slice('--testing.now='.length);
    else rest.push(args[i]!);
  }
  const nowMs = at === undefined ? NaN : Date.parse(at);
  if (!Number.isFinite(nowMs)) throw new Error(`scenarioConfig: no valid --testing.now in ${JSON.stringify(args)}`);
  return { config: buildConfig(new Map(), parseCommandLine(rest).settings), now: () => nowMs };
}

export const GOLDEN_BUILD_INFO = { version: '0.0.0-test', revision: 'test', nodejsVersion: 'v0.0.0' };

export interface RunningExporter {
  readonly url: string;
  readonly exporter: Exporter;
  /** Log lines written so far. */
  readonly logs: string[];
  close(): Promise<void>;
}

/** Start the real HTTP server in this process on a loopback port. */
export async function startInProcess(s: Scenario, extra: readonly string[] = []): Promise<RunningExporter> {
  const { config, now } = scenarioConfig(scenarioArgs(s, extra));
  const logs: string[] = [];
  const log: Logger = createLogger('debug', 'logfmt', (line) => void logs.push(line));
  const exporter = await Exporter.create(config, log, { buildInfo: GOLDEN_BUILD_INFO, now });
  const server = http.createServer(createApp({ exporter, log }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    exporter,
    logs,
    close: async () => {
      exporter.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export { silentLogger };

/** Replace values that change from run to run (durations) so that scrapes can be compared. */
export function normalizeScrape(text: string): string {
  return text.replace(/^(klp_scrape_collector_duration_seconds\{[^}]*\}) .*$/gm, '$1 0');
}

/**
 * Copy a fixture host into a temporary directory (with the fake tool beside it, so its bin/
 * links keep working), for tests that change files. Remove `base` when done.
 */
export function copyScenario(name: string): { scenario: Scenario; base: string } {
  const base = mkdtempSync(path.join(os.tmpdir(), 'klp-host-'));
  cpSync(path.join(PROJECT, 'test/fixtures/bin'), path.join(base, 'bin'), { recursive: true });
  cpSync(path.join(HOSTS, name), path.join(base, 'hosts', name), { recursive: true, verbatimSymlinks: true });
  return { scenario: loadScenario(name, path.join(base, 'hosts')), base };
}
