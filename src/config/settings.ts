// Every setting of the exporter, in one table: its flag, its place in the YAML config file, its
// type, its default and its help text. Flags, the config file and --help are all derived from it.
// The collector switches and each collector's own settings come from the collectors (collectors/).

import { COLLECTORS } from '../collectors/index.js';
import { LOG_FORMATS, LOG_LEVELS } from '../log.js';

export type SettingType =
  | { readonly kind: 'string' }
  | { readonly kind: 'path' }
  | { readonly kind: 'bool' }
  | { readonly kind: 'duration' }
  | { readonly kind: 'int'; readonly min: number; readonly max: number }
  | { readonly kind: 'enum'; readonly values: readonly string[] }
  /** `[host]:port`; the flag may be repeated (and the YAML key may be a list): one listener each. */
  | { readonly kind: 'listen-addresses' };

export interface Setting {
  /** Flag name without dashes, e.g. "web.listen-address". */
  readonly flag: string;
  /** Key path in the YAML config, e.g. ["web", "listen_address"]. */
  readonly yaml: readonly string[];
  readonly type: SettingType;
  readonly default: string | boolean | number | undefined;
  readonly help: string;
}

const str = { kind: 'string' } as const;
const path = { kind: 'path' } as const;
const bool = { kind: 'bool' } as const;
const duration = { kind: 'duration' } as const;

export const SETTINGS: readonly Setting[] = [
  {
    flag: 'web.listen-address',
    yaml: ['web', 'listen_address'],
    type: { kind: 'listen-addresses' },
    default: ':10055',
    help: 'Address to listen on for the web interface and telemetry ([host]:port); repeat the flag (or give a YAML list) to listen on several.',
  },
  { flag: 'web.telemetry-path', yaml: ['web', 'telemetry_path'], type: str, default: '/metrics', help: 'Path under which to expose metrics.' },
  { flag: 'web.config.file', yaml: ['web', 'config_file'], type: path, default: undefined, help: 'Path to a Prometheus web configuration file (TLS and basic auth).' },
  { flag: 'web.disable-exporter-metrics', yaml: ['web', 'disable_exporter_metrics'], type: bool, default: false, help: 'Exclude the exporter process metrics (process_*, nodejs_*).' },
  { flag: 'web.enable-lifecycle', yaml: ['web', 'enable_lifecycle'], type: bool, default: false, help: 'Enable POST /-/reload to reload the config file.' },
  { flag: 'web.max-requests', yaml: ['web', 'max_requests'], type: { kind: 'int', min: 0, max: 100000 }, default: 64, help: 'Maximum number of scrapes served at the same time; more get 503. 0 means no limit.' },
  { flag: 'scrape.timeout', yaml: ['scrape', 'timeout'], type: duration, default: '10s', help: 'Longest a scrape waits for collectors; a shorter X-Prometheus-Scrape-Timeout-Seconds header wins.' },
  { flag: 'scrape.timeout-offset', yaml: ['scrape', 'timeout_offset'], type: duration, default: '500ms', help: 'Subtracted from the X-Prometheus-Scrape-Timeout-Seconds header.' },
  { flag: 'path.rootfs', yaml: ['path', 'rootfs'], type: path, default: '/', help: 'Root of the host file system (e.g. /host in a container).' },
  { flag: 'path.sysfs', yaml: ['path', 'sysfs'], type: path, default: '/sys', help: 'sysfs mount point (joined under --path.rootfs when left at its default).' },
  { flag: 'path.procfs', yaml: ['path', 'procfs'], type: path, default: '/proc', help: 'procfs mount point (joined under --path.rootfs when left at its default).' },
  ...COLLECTORS.map((c): Setting => ({
    flag: `collector.${c.name}`,
    yaml: ['collector', c.name, 'enabled'],
    type: bool,
    default: c.enabledByDefault,
    help: `Enable the ${c.name} collector: ${c.help}.`,
  })),
  ...COLLECTORS.flatMap((c) => c.settings ?? []),
  { flag: 'cache.max-age', yaml: ['cache', 'max_age'], type: duration, default: '1h', help: 'Refresh cached collectors (rpm, klp, lifecycle) at least this often, even when nothing changed.' },
  { flag: 'exec.path', yaml: ['exec', 'path'], type: str, default: '/usr/bin:/usr/sbin:/bin:/sbin', help: 'Directories (colon-separated, absolute) where rpm, klp, kgr and zypper are looked up once at start-up.' },
  { flag: 'exec.timeout', yaml: ['exec', 'timeout'], type: duration, default: '5s', help: 'Deadline for every command the exporter runs; the command is killed after it.' },
  {
    flag: 'exec.max-output',
    yaml: ['exec', 'max_output_bytes'],
    type: { kind: 'int', min: 1024, max: 64 * 1024 * 1024 },
    default: 1024 * 1024,
    help: 'Maximum bytes read from a command; it is killed when it prints more.',
  },
  { flag: 'textfile.output', yaml: ['textfile', 'output'], type: path, default: undefined, help: "Collect once, write the metrics to this file (atomically) for node_exporter's textfile collector, and exit." },
  { flag: 'log.level', yaml: ['log', 'level'], type: { kind: 'enum', values: LOG_LEVELS }, default: 'info', help: 'Only log messages with the given severity or above.' },
  { flag: 'log.format', yaml: ['log', 'format'], type: { kind: 'enum', values: LOG_FORMATS }, default: 'logfmt', help: 'Output format of log messages.' },
];

/** Flags that are not settings: they say what to do. */
export const COMMAND_FLAGS = [
  { flag: 'config.file', help: 'Path to a YAML config file with the same settings (flags override it).' },
  { flag: 'config.check', help: 'Validate the configuration (and the web config file) and exit.' },
  { flag: 'help', help: 'Show this help and exit.' },
  { flag: 'version', help: 'Show the version and exit.' },
] as const;
