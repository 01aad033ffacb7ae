// The exporter configuration: flags (Prometheus exporter style) and an optional YAML file with
// the same settings. Flags override the file. Unknown keys and bad values are errors that name
// the key and where it came from.

import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import YAML, { isAlias, isMap, isNode, isScalar, LineCounter } from 'yaml';
import { ConfigError, describeError } from '../errors.js';
import { fileErrorReason } from '../host/files.js';
import { resolveHostPaths } from '../host/paths.js';
import type { LogFormat, LogLevel } from '../log.js';
import { parseDuration } from './duration.js';
import { boundedValue, safeKey, yamlErrorText, yamlShapeProblem } from './yaml-shape.js';
import { COLLECTOR_NAMES, type CollectorName } from '../collectors/index.js';
import { COMMAND_FLAGS, SETTINGS, type Setting } from './settings.js';

/** One address to listen on: `:10055` (every interface), `127.0.0.1:10055`, `[::1]:10055`. */
export interface ListenAddress {
  /** As given. */
  readonly address: string;
  /** undefined: every interface. */
  readonly host: string | undefined;
  readonly port: number;
}

export interface Config {
  readonly web: {
    /** At least one; the exporter listens on each. */
    readonly listenAddresses: readonly ListenAddress[];
    readonly telemetryPath: string;
    readonly configFile: string | undefined;
    readonly disableExporterMetrics: boolean;
    readonly enableLifecycle: boolean;
    readonly maxRequests: number;
  };
  readonly scrape: { readonly timeoutMs: number; readonly timeoutOffsetMs: number };
  readonly path: { readonly rootfs: string; readonly sysfs: string; readonly procfs: string };
  readonly collectors: Readonly<Record<CollectorName, boolean>>;
  readonly klp: { readonly cveInfo: boolean };
  readonly lifecycle: { readonly zypper: boolean; readonly zypperIntervalMs: number; readonly fallbackMonths: number };
  readonly repositories: { readonly zypper: boolean; readonly zypperIntervalMs: number; readonly maxMetadataBytes: number };
  readonly cache: { readonly maxAgeMs: number };
  readonly exec: { readonly path: string; readonly timeoutMs: number; readonly maxOutputBytes: number };
  readonly textfileOutput: string | undefined;
  readonly log: { readonly level: LogLevel; readonly format: LogFormat };
}

type Value = string | boolean | number | readonly string[];
type Values = Map<string, Value>;

export interface CommandLine {
  /** Settings given as flags, by flag name, still as text or boolean. */
  readonly settings: Values;
  readonly configFile: string | undefined;
  readonly check: boolean;
  readonly help: boolean;
  readonly version: boolean;
}

const BY_FLAG = new Map(SETTINGS.map((s) => [s.flag, s]));

/**
 * Parse command-line arguments (`--flag=value`, `--flag value`, `--bool`, `--no-bool`). A flag is
 * never "last one wins": a repeatable one (--web.listen-address) adds a value, any other given twice
 * (`--x` and `--no-x` included) is an error.
 */
export function parseCommandLine(argv: readonly string[]): CommandLine {
  const settings: Values = new Map();
  let configFile: string | undefined;
  let check = false;
  let help = false;
  let version = false;
  const seen = new Set<string>();
  const once = (name: string) => {
    if (seen.has(name)) throw new ConfigError(`flag --${name} given more than once`);
    seen.add(name);
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-h') {
      help = true;
      continue;
    }
    if (!arg.startsWith('--')) throw new ConfigError(`unexpected argument ${boundedValue(arg)}`);
    const eq = arg.indexOf('=');
    let name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    const inline: string | undefined = eq === -1 ? undefined : arg.slice(eq + 1);
    let negated = false;
    if (name.startsWith('no-') && !BY_FLAG.has(name)) {
      name = name.slice(3);
      negated = true;
    }
    const takeValue = (): string => {
      if (inline !== undefined) return inline;
      const next = argv[i + 1];
      if (next === undefined) throw new ConfigError(`flag --${name} needs a value`);
      i++;
      return next;
    };
    const setting = BY_FLAG.get(name);
    if (setting?.type.kind === 'bool' || ['config.check', 'help', 'version'].includes(name)) {
      let on = !negated;
      if (inline !== undefined) {
        if (negated) throw new ConfigError(`flag --no-${name} takes no value`);
        if (!['true', 'false'].includes(inline)) throw new ConfigError(`flag --${name}: expected true or false, got ${boundedValue(inline)}`);
        on = inline === 'true';
      }
      once(name);
      if (name === 'config.check') check = on;
      else if (name === 'help') help = on;
      else if (name === 'version') version = on;
      else settings.set(name, on);
      continue;
    }
    if (negated && setting) throw new ConfigError(`unknown flag --no-${name}: --${name} takes a value; only true/false flags have a --no- form (klp_exporter --help lists the flags)`);
    if (negated) throw unknownFlag(`no-${name}`);
    if (setting?.type.kind === 'listen-addresses') {
      settings.set(name, [...((settings.get(name) as readonly string[] | undefined) ?? []), takeValue()]);
      continue;
    }
    if (name !== 'config.file' && !setting) throw unknownFlag(name);
    once(name);
    if (name === 'config.file') configFile = takeValue();
    else settings.set(name, takeValue());
  }
  return { settings, configFile, check, help, version };
}

/** Every flag as it may be written: the settings, --no- for the true/false ones, and the command flags. */
const ALL_FLAGS = [...SETTINGS.flatMap((s) => (s.type.kind === 'bool' ? [s.flag, `no-${s.flag}`] : [s.flag])), ...COMMAND_FLAGS.map((c) => c.flag)];

/** An unknown flag: the closest known one when it looks like a typo of it, and where the flags are listed. */
function unknownFlag(name: string): ConfigError {
  const shown = name.slice(0, 64);
  let best: string | undefined;
  let bestDistance = Infinity;
  if (name.length <= 64) {
    for (const flag of ALL_FLAGS) {
      const d = editDistance(name, flag);
      if (d < bestDistance) [best, bestDistance] = [flag, d];
    }
  }
  // A typo: a few characters off, and less than a third of the name.
  const typo = best !== undefined && bestDistance <= Math.min(3, Math.floor(name.length / 3));
  return new ConfigError(`unknown flag --${shown}${typo ? `; did you mean --${best}?` : ''} (klp_exporter --help lists the flags)`);
}

/** Levenshtein distance (insertions, deletions, substitutions). */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row.push(Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    prev = row;
  }
  return prev[b.length]!;
}

/** The line each setting came from, for the values parseConfigFile returned (messages of buildConfig). */
const LINES = new WeakMap<Values, Map<string, number>>();

/**
 * Parse the YAML config file text into settings, strictly. Messages name the file, the line and
 * the key; a key is named only when it looks like a setting name, and a value only cut short.
 */
export function parseConfigFile(text: string, file: string): Values {
  const shapeProblem = yamlShapeProblem(text);
  if (shapeProblem) throw new ConfigError(`${file}: ${shapeProblem}`);
  const lineCounter = new LineCounter();
  const doc = YAML.parseDocument(text, { uniqueKeys: true, lineCounter });
  if (doc.errors.length > 0) throw new ConfigError(`${file}: ${yamlErrorText(doc.errors[0]!, text)}`);
  const lineOf = (node: unknown): number | undefined => {
    const offset = isNode(node) ? node.range?.[0] : undefined;
    return offset === undefined ? undefined : lineCounter.linePos(offset).line;
  };
  const at = (node: unknown) => {
    const line = lineOf(node);
    return line === undefined ? file : `${file}:${line}`;
  };
  const values: Values = new Map();
  const lines = new Map<string, number>();
  LINES.set(values, lines);
  const walk = (node: unknown, at0: unknown, keyPath: string[]) => {
    const where = keyPath.map(safeKey).join('.');
    const n = isAlias(node) ? node.resolve(doc) : node;
    if (isAlias(node) && n === undefined) throw new ConfigError(`${at(node)}: ${where || 'top level'}: unresolved alias`);
    if (keyPath.length === 0 && (n === null || n === undefined || (isScalar(n) && n.value === null))) return;
    if (!isMap(n)) throw new ConfigError(`${at(n ?? at0)}: ${where || 'top level'}: expected a mapping`);
    for (const pair of n.items) {
      const key = isScalar(pair.key) ? pair.key.value : undefined;
      if (typeof key !== 'string') throw new ConfigError(`${at(pair.key)}: ${where || 'top level'}: keys must be strings`);
      const child = pair.value;
      const childPath = [...keyPath, key];
      const exact = SETTINGS.find((s) => sameKey(s.yaml, childPath));
      // collector.<name>: true|false is short for collector.<name>.enabled
      const shorthand = SETTINGS.find((s) => sameKey(s.yaml, [...childPath, 'enabled']));
      const toJS = (): unknown => {
        try {
          return isNode(child) ? child.toJS(doc, { maxAliasCount: 100 }) : child;
        } catch {
          // The library's message names the alias: not repeated.
          throw new ConfigError(`${at(child)}: ${childPath.map(safeKey).join('.')}: unresolved alias or too many aliases`);
        }
      };
      const value = exact || shorthand ? toJS() : undefined;
      const line = lineOf(child) ?? lineOf(pair.key);
      if (exact) {
        values.set(exact.flag, fromYaml(value, exact, at(child ?? pair.key), childPath.join('.')));
        if (line !== undefined) lines.set(exact.flag, line);
      } else if (shorthand && typeof value === 'boolean') {
        values.set(shorthand.flag, value);
        if (line !== undefined) lines.set(shorthand.flag, line);
      } else if (shorthand && !isMap(isAlias(child) ? child.resolve(doc) : child)) {
        // collector.<name>: true, false, or a mapping of its enabled key and its own settings
        const keys = SETTINGS.filter((s) => s.yaml.length === childPath.length + 1 && sameKey(s.yaml.slice(0, -1), childPath)).map((s) => s.yaml.at(-1)!);
        throw new ConfigError(`${at(child ?? pair.key)}: ${childPath.map(safeKey).join('.')}: expected true or false, or a mapping with the key${keys.length === 1 ? '' : 's'} ${keys.join(', ')}`);
      } else if (SETTINGS.some((s) => s.yaml.length > childPath.length && sameKey(s.yaml.slice(0, childPath.length), childPath))) {
        walk(child, pair.key, childPath);
      } else {
        throw new ConfigError(`${at(pair.key)}: unknown key ${childPath.map(safeKey).join('.')}`);
      }
    }
  };
  walk(doc.contents, undefined, []);
  return values;
}

function sameKey(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((k, i) => k === b[i]);
}

function fromYaml(v: unknown, s: Setting, file: string, key: string): Value {
  if (s.type.kind === 'bool') {
    if (typeof v !== 'boolean') throw new ConfigError(`${file}: ${key}: expected true or false`);
    return v;
  }
  if (s.type.kind === 'int') {
    if (typeof v !== 'number') throw new ConfigError(`${file}: ${key}: expected a whole number`);
    return v;
  }
  if (s.type.kind === 'listen-addresses' && Array.isArray(v)) {
    if (!v.every((a) => typeof a === 'string' || typeof a === 'number')) throw new ConfigError(`${file}: ${key}: expected a string or a list of strings`);
    return v.map(String);
  }
  if (typeof v !== 'string' && typeof v !== 'number') throw new ConfigError(`${file}: ${key}: expected a string`);
  return String(v);
}

/** Parse `[host]:port`: ":10055" → every interface; "127.0.0.1:10055"; "[::1]:10055". */
function parseListenAddress(address: string, echo = true): ListenAddress {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(address);
  if (!m) throw new ConfigError(`invalid listen address${shown(address, echo)}: expected [host]:port`);
  const port = Number(m[3]);
  if (port > 65535) throw new ConfigError(`invalid listen address${shown(address, echo)}: port must be 0 to 65535`);
  const host = m[1] ?? m[2];
  return { address, host: host === '' ? undefined : host, port };
}

/** Where a setting's value came from, as messages name it: `flag --x`, `file:line: a.b`, or `default of --x`. */
function settingOrigin(fileValues: Values, flagValues: Values, flag: string, file: string | undefined): string {
  if (flagValues.has(flag)) return `flag --${flag}`;
  if (fileValues.has(flag)) {
    const line = LINES.get(fileValues)?.get(flag);
    return `${file ?? 'config file'}${line === undefined ? '' : `:${line}`}: ${BY_FLAG.get(flag)!.yaml.join('.')}`;
  }
  return `default of --${flag}`;
}

/** Combine defaults, the config file and the flags into a checked Config. */
export function buildConfig(fileValues: Values, flagValues: Values, file?: string): Config {
  const get = (flag: string): Value | ListenAddress[] | undefined => {
    const s = BY_FLAG.get(flag)!;
    const raw = flagValues.get(flag) ?? fileValues.get(flag) ?? s.default;
    if (raw === undefined) return undefined;
    // A value from the config file is never repeated (the file may be a link to a secret); a flag's value is.
    return check(raw, s, whereOf(flag), !fileValues.has(flag) || flagValues.has(flag));
  };
  /** Where a setting's value comes from: the flag, the file and line, or the default. */
  const whereOf = (flag: string): string => settingOrigin(fileValues, flagValues, flag, file);
  const str = (f: string) => get(f) as string;
  const optStr = (f: string) => get(f) as string | undefined;
  const bool = (f: string) => get(f) as boolean;
  const num = (f: string) => get(f) as number;
  const addresses = (f: string) => get(f) as ListenAddress[];
  const collectors = Object.fromEntries(COLLECTOR_NAMES.map((n) => [n, bool(`collector.${n}`)])) as Record<CollectorName, boolean>;
  const telemetryPath = str('web.telemetry-path');
  if (!telemetryPath.startsWith('/') || ['/', '/-/healthy', '/-/reload'].includes(telemetryPath)) {
    const echo = !fileValues.has('web.telemetry-path') || flagValues.has('web.telemetry-path');
    throw new ConfigError(`${whereOf('web.telemetry-path')}: must start with "/" and not be "/", "/-/healthy" or "/-/reload"${echo ? `, got ${boundedValue(telemetryPath)}` : ''}`);
  }

  const configDir = file ? path.dirname(path.resolve(file)) : process.cwd();
  const resolvePath = (p: string | undefined) => (p === undefined ? undefined : path.resolve(configDir, p));
  const fromFlagOrFile = (flag: string) => (flagValues.has(flag) ? path.resolve(str(flag)) : resolvePath(optStr(flag)));
  return {
    web: {
      listenAddresses: addresses('web.listen-address'),
      telemetryPath,
      configFile: fromFlagOrFile('web.config.file'),
      disableExporterMetrics: bool('web.disable-exporter-metrics'),
      enableLifecycle: bool('web.enable-lifecycle'),
      maxRequests: num('web.max-requests'),
    },
    scrape: { timeoutMs: num('scrape.timeout'), timeoutOffsetMs: num('scrape.timeout-offset') },
    path: { rootfs: str('path.rootfs'), sysfs: str('path.sysfs'), procfs: str('path.procfs') },
    collectors,
    klp: { cveInfo: bool('collector.klp.cve-info') },
    lifecycle: {
      zypper: bool('collector.lifecycle.zypper'),
      zypperIntervalMs: num('collector.lifecycle.zypper-interval'),
      fallbackMonths: num('collector.lifecycle.fallback-months'),
    },
    repositories: { zypper: bool('collector.repositories.zypper'), zypperIntervalMs: num('collector.repositories.zypper-interval'), maxMetadataBytes: num('collector.repositories.max-metadata-bytes') },
    cache: { maxAgeMs: num('cache.max-age') },
    exec: { path: str('exec.path'), timeoutMs: num('exec.timeout'), maxOutputBytes: num('exec.max-output') },
    textfileOutput: fromFlagOrFile('textfile.output'),
    log: { level: str('log.level') as LogLevel, format: str('log.format') as LogFormat },
  };
}

/** " <value>" (quoted, cut short) when `echo`, else nothing. */
function shown(value: unknown, echo: boolean): string {
  return echo ? ` ${boundedValue(value)}` : '';
}

/** `echo`: whether a message may repeat the value (a flag's, never one from the config file). */
function check(raw: Value, s: Setting, where: string, echo: boolean): Value | ListenAddress[] {
  const t = s.type;
  if (t.kind === 'listen-addresses') {
    const list = typeof raw === 'string' ? [raw] : Array.isArray(raw) ? raw : undefined;
    if (list === undefined) throw new ConfigError(`${where}: expected [host]:port`);
    if (list.length === 0) throw new ConfigError(`${where}: expected at least one address`);
    const seen = new Set<string>();
    return list.map((a) => {
      let parsed: ListenAddress;
      try {
        parsed = parseListenAddress(a, echo);
      } catch (err) {
        throw new ConfigError(`${where}: ${(err as Error).message}`);
      }
      const key = `${parsed.host ?? ''}|${parsed.port}`;
      if (parsed.port !== 0 && seen.has(key)) throw new ConfigError(`${where}:${shown(a, echo) || ' an address'} given more than once`);
      seen.add(key);
      return parsed;
    });
  }
  if (Array.isArray(raw)) throw new ConfigError(`${where}: expected one value, not a list`);
  switch (t.kind) {
    case 'bool':
      if (typeof raw !== 'boolean') throw new ConfigError(`${where}: expected true or false`);
      return raw;
    case 'duration': {
      const ms = typeof raw === 'string' ? parseDuration(raw) : undefined;
      if (ms === undefined) throw new ConfigError(`${where}: not a duration (like 500ms, 5s, 2m, 6h)${echo ? `: ${boundedValue(raw)}` : ''}`);
      if (s.flag === 'exec.timeout' && ms < 100) throw new ConfigError(`${where}: must be at least 100ms`);
      return ms;
    }
    case 'int': {
      const n = typeof raw === 'number' ? raw : /^-?\d+$/.test(String(raw)) ? Number(raw) : NaN;
      if (!Number.isInteger(n) || n < t.min || n > t.max) throw new ConfigError(`${where}: expected a whole number from ${t.min} to ${t.max}${echo ? `, got ${boundedValue(raw)}` : ''}`);
      return n;
    }
    case 'enum':
      if (typeof raw !== 'string' || !t.values.includes(raw)) throw new ConfigError(`${where}: expected one of ${t.values.join(', ')}${echo ? `, got ${boundedValue(raw)}` : ''}`);
      return raw;
    case 'string':
    case 'path':
      if (typeof raw !== 'string' || raw === '') throw new ConfigError(`${where}: expected a non-empty string`);
      if (raw.includes('\0')) throw new ConfigError(`${where}: contains a NUL byte`);
      if (s.flag === 'exec.path') {
        // Looked up once at start-up in these directories only: a relative one would depend on the working directory.
        const relative = raw.split(':').find((d) => !d.startsWith('/'));
        if (relative !== undefined) {
          throw new ConfigError(`${where}: ${relative === '' ? 'an empty entry' : boundedValue(relative)} is not an absolute directory (every entry of the colon-separated list must start with "/")`);
        }
      }
      return raw;
  }
}

/** Read flags and, when given, the config file; the single entry point used by main and reload. */
export async function loadConfig(cmd: CommandLine): Promise<Config> {
  let fileValues: Values = new Map();
  if (cmd.configFile !== undefined) {
    let text: string;
    try {
      text = await readFile(cmd.configFile, 'utf8');
    } catch (err) {
      throw new ConfigError(`${cmd.configFile}: cannot read the file of --config.file: ${fileErrorReason(err)}`);
    }
    fileValues = parseConfigFile(text, cmd.configFile);
  }
  const config = buildConfig(fileValues, cmd.settings, cmd.configFile);
  checkHostPaths(config, (flag) => settingOrigin(fileValues, cmd.settings, flag, cmd.configFile));
  return config;
}

/**
 * The host root, sysfs and procfs must be directories that exist: with a root path that does not
 * exist every collector would fail, or worse, `rpm --root` would report an empty database. Checked
 * by loadConfig, so at start-up, by --config.check and on reload.
 */
export function checkHostPaths(config: Config, origin: (flag: string) => string): void {
  const paths = resolveHostPaths(config.path);
  for (const [flag, p, def] of [
    ['path.rootfs', paths.rootfs, '/'],
    ['path.sysfs', paths.sysfs, '/sys'],
    ['path.procfs', paths.procfs, '/proc'],
  ] as const) {
    const joined = flag !== 'path.rootfs' && paths.rootfs !== '/' && p === path.join(paths.rootfs, def) ? ` (${def} under --path.rootfs)` : '';
    let problem: string | undefined;
    try {
      if (!statSync(p).isDirectory()) problem = 'is not a directory';
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      problem = code === 'ENOENT' || code === 'ENOTDIR' ? 'does not exist' : `cannot be read: ${code === 'EACCES' ? 'permission denied' : describeError(err)}`;
    }
    if (problem) throw new ConfigError(`${origin(flag)}: ${p}${joined} ${problem}`);
  }
}

/** The --help text, generated from the settings table. */
export function helpText(): string {
  const rows: Array<[string, string]> = [];
  for (const s of SETTINGS) {
    const name = s.type.kind === 'bool' ? `--[no-]${s.flag}` : `--${s.flag}=<${s.type.kind === 'enum' ? s.type.values.join('|') : s.type.kind}>`;
    const def = s.default === undefined ? '' : ` (default: ${String(s.default)})`;
    rows.push([name, `${s.help}${def}`]);
  }
  for (const c of COMMAND_FLAGS) rows.push([`--${c.flag}`, c.help]);
  const width = rows.reduce((w, [n]) => Math.max(w, n.length), 0) + 2;
  return ['usage: klp_exporter [<flags>]', '', 'Prometheus exporter for SUSE kernel live patching.', '', 'Flags:', ...rows.map(([n, h]) => `  ${n.padEnd(width)}${h}`), ''].join('\n');
}
