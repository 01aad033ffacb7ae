// `klp_exporter rules` and `klp_exporter dashboard`: the shipped alert rules and Grafana dashboards, rewritten
// for the operator's job selector and runbook location, without the development toolchain.
//
// The shipped files (alerts/klp.rules.yml, dashboards/klp-*.json) are generated from dashboards/*.ts and select
// the scrape job with SHIPPED_SELECTOR. This module does not know how they are generated: it substitutes the
// selector and the runbook base in whatever rules the shipped file holds, so that new or renamed rules need no
// change here. The single-file build embeds the shipped files (src/embedded.ts); the tsc build reads them from
// the package directory.

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import YAML from 'yaml';
import { embeddedFiles } from './embedded.js';
import { formatDuration, parseDuration } from './config/duration.js';

/** The selector the shipped rules are generated with (dashboards/config.ts jobSelector; a test keeps them equal). */
export const SHIPPED_SELECTOR = 'job="klp"';
/** Textfile mode's default: the series come with the job of the node_exporter scrape. */
export const DEFAULT_TEXTFILE_SELECTOR = 'job="node"';
/** docs/runbook.md as the RPM installs it (dashboards/config.ts runbookUrlBase): the default base of every alert's runbook_url. */
export const DEFAULT_RUNBOOK_URL = 'file:///usr/share/doc/packages/prometheus-klp_exporter/docs/runbook.md';
/** The file the textfile service writes (packaging/systemd/prometheus-klp_exporter-textfile.service). */
export const DEFAULT_TEXTFILE_NAME = 'klp.prom';
/** The textfile timer's period (OnUnitActiveSec of prometheus-klp_exporter-textfile.timer). */
export const DEFAULT_TEXTFILE_INTERVAL_SECONDS = 300;

/** The alerts `rules --textfile` adds (docs/runbook.md has a section for each). */
export const TEXTFILE_ALERTS: readonly string[] = ['KlpTextfileStale', 'KlpTextfileScrapeError'];

export const RULES_FILE = 'alerts/klp.rules.yml';
export const DASHBOARD_FILES = { fleet: 'dashboards/klp-fleet.json', host: 'dashboards/klp-host.json' } as const;

export class UsageError extends Error {}

/** A shipped file: embedded in the single-file build, else read from the package directory. */
export function shippedFile(name: string): string {
  const embedded = embeddedFiles[name];
  if (embedded !== undefined) return embedded;
  try {
    return readFileSync(new URL(`../${name}`, import.meta.url), 'utf8');
  } catch (err) {
    throw new Error(`cannot read the shipped ${name}: ${(err as Error).message}`);
  }
}

// One PromQL label matcher: name, operator, double-quoted string (escapes allowed).
const MATCHER = String.raw`[a-zA-Z_][a-zA-Z0-9_]*\s*(?:=~|!~|!=|=)\s*"(?:[^"\\\n]|\\.)*"`;
const MATCHERS = new RegExp(`^\\s*${MATCHER}(?:\\s*,\\s*${MATCHER})*\\s*$`);

/** Validate a selector given as label matchers (`job="node"`, `job=~"node|klp", env="prod"`); braces optional. */
export function parseSelector(text: string): string {
  const inner = text
    .trim()
    .replace(/^\{([\s\S]*)\}$/, '$1')
    .trim();
  if (!MATCHERS.test(inner)) {
    throw new UsageError(`invalid --selector ${JSON.stringify(text)}: expected PromQL label matchers such as job="node" or job="node",env="prod"`);
  }
  return inner;
}

/** An absolute http(s) URL without a fragment (the alert name's anchor is appended). */
export function parseRunbookUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`invalid --runbook-url ${JSON.stringify(text)}: expected an absolute http(s) URL, e.g. https://wiki.example.com/klp/runbook`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new UsageError(`invalid --runbook-url ${JSON.stringify(text)}: only http and https URLs open in a receiver`);
  if (url.hash) throw new UsageError(`invalid --runbook-url ${JSON.stringify(text)}: leave out the #anchor, each alert adds its own`);
  return text;
}

/** A Prometheus duration of whole seconds (`5m`, `300s`, `1h30m`) → seconds. */
function parseInterval(text: string): number {
  const ms = parseDuration(text.trim());
  if (!ms || ms % 1000 !== 0) throw new UsageError(`invalid --textfile.interval ${JSON.stringify(text)}: expected a duration such as 5m`);
  return ms / 1000;
}

export interface RulesOptions {
  /** Label matchers selecting the klp series (without braces). */
  selector: string;
  /** Base of every runbook_url; the lower-cased alert name is the anchor. */
  runbookUrl: string;
  /** Textfile mode: the series come through node_exporter's textfile collector. */
  textfile?: { intervalSeconds: number; fileName: string };
}

interface Rule {
  record?: string;
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const SHIPPED_RE = new RegExp(escapeRegex(SHIPPED_SELECTOR), 'g');

/** Rules that are about the klp scrape target itself (its `up` and scrape duration); textfile mode has none. */
const aboutScrapeTarget = (r: Rule) => /\b(?:up|scrape_duration_seconds)\{/.test(r.expr);

const humanSeconds = (s: number): string => formatDuration(s * 1000);

function textfileRules(o: RulesOptions, anchorUrl: (alert: string) => string): Rule[] {
  const t = o.textfile!;
  const file = `file=~"(.*/)?${escapeRegex(t.fileName).replace(/\\/g, '\\\\')}"`;
  const limit = 3 * t.intervalSeconds;
  return [
    {
      alert: 'KlpTextfileStale',
      expr: `time() - node_textfile_mtime_seconds{${o.selector}, ${file}} > ${limit}`,
      labels: { severity: 'warning' },
      annotations: {
        summary: `The klp_exporter textfile has not been rewritten for three timer periods (${humanSeconds(limit)}).`,
        description:
          `node_exporter on {{ $labels.instance }} serves {{ $labels.file }}, last written {{ $value | humanizeDuration }} ago; ` +
          `the textfile timer rewrites it every ${humanSeconds(t.intervalSeconds)}. The live patch metrics of this host are that old. ` +
          'Check `systemctl status prometheus-klp_exporter-textfile.timer prometheus-klp_exporter-textfile.service` and its journal.',
        runbook_url: anchorUrl('KlpTextfileStale'),
      },
    },
    {
      alert: 'KlpTextfileScrapeError',
      expr: `node_textfile_scrape_error{${o.selector}} == 1`,
      for: '15m',
      labels: { severity: 'warning' },
      annotations: {
        summary: 'node_exporter cannot read a file of its textfile directory.',
        description:
          'node_exporter on {{ $labels.instance }} reports node_textfile_scrape_error 1: a file in its textfile directory does not parse or cannot be read, ' +
          'and its series (possibly the klp ones) are missing. The node_exporter log names the file.',
        runbook_url: anchorUrl('KlpTextfileScrapeError'),
      },
    },
  ];
}

/** The shipped rules for another selector, runbook base and (optionally) textfile mode, as a rules file. */
export function renderRules(o: RulesOptions, shipped = shippedFile(RULES_FILE)): string {
  const doc = YAML.parse(shipped) as { groups: { name: string; rules: Rule[] }[] };
  const anchorUrl = (alert: string) => `${o.runbookUrl}#${alert.toLowerCase()}`;
  const rewrite = (s: string) => s.replace(SHIPPED_RE, o.selector);
  const groups = doc.groups.map((g) => ({
    ...g,
    rules: g.rules
      .filter((r) => !(o.textfile && aboutScrapeTarget(r)))
      .map((r) => {
        const out: Rule = { ...r, expr: rewrite(r.expr) };
        if (r.annotations) {
          out.annotations = Object.fromEntries(Object.entries(r.annotations).map(([k, v]) => [k, rewrite(v)]));
          if (r.alert && r.annotations['runbook_url'] !== undefined) {
            const anchor = r.annotations['runbook_url'].split('#')[1] ?? r.alert.toLowerCase();
            out.annotations['runbook_url'] = `${o.runbookUrl}#${anchor}`;
          }
        }
        return out;
      }),
  }));
  if (o.textfile) groups.push({ name: 'klp.textfile', rules: textfileRules(o, anchorUrl) });
  const mode = o.textfile ? `textfile mode (series scraped through node_exporter; file ${o.textfile.fileName}, timer period ${humanSeconds(o.textfile.intervalSeconds)})` : 'klp_exporter scraped directly';
  const header = `# klp_exporter alert and recording rules for {${o.selector}}, ${mode}.\n` + `# Written by \`klp_exporter rules\` from the rules shipped with this version; runbook: ${o.runbookUrl}\n`;
  return header + YAML.stringify({ groups }, { lineWidth: 0 });
}

/** A shipped dashboard whose job variable defaults to `job` (the dashboards select the job with a variable). */
export function renderDashboard(which: keyof typeof DASHBOARD_FILES, job: string | undefined): string {
  const d = JSON.parse(shippedFile(DASHBOARD_FILES[which])) as { templating?: { list?: { name?: string; current?: unknown }[] } };
  if (job !== undefined) {
    const v = d.templating?.list?.find((t) => t.name === 'job');
    if (v) v.current = { text: job, value: job };
  }
  return JSON.stringify(d, null, 2) + '\n';
}

const RULES_USAGE = `usage: klp_exporter rules [--selector=MATCHERS] [--runbook-url=URL] [--textfile [--textfile.interval=5m] [--textfile.name=klp.prom]]

Prints the alert and recording rules for Prometheus (rule_files), rewritten for your setup.
  --selector         label matchers of the series, default ${SHIPPED_SELECTOR}; in textfile mode the
                     job that scrapes node_exporter, default ${DEFAULT_TEXTFILE_SELECTOR}
  --runbook-url      absolute http(s) URL where you publish the runbook (docs/runbook.md); default
                     the copy the package installs, ${DEFAULT_RUNBOOK_URL}
  --textfile         the series come through node_exporter's textfile collector: drops the rules
                     about klp_exporter's own scrape target, adds KlpTextfileStale (file older than
                     three timer periods) and KlpTextfileScrapeError
  --textfile.interval  the textfile timer's period, default 5m
  --textfile.name    the textfile's name, default ${DEFAULT_TEXTFILE_NAME}
`;

const DASHBOARD_USAGE = `usage: klp_exporter dashboard fleet|host [--job=NAME]

Prints a Grafana dashboard (JSON, for import or provisioning). The dashboards select the job with a
variable; --job sets its default (e.g. node in textfile mode). Both dashboards need the recording rules
of \`klp_exporter rules\`.
`;

export const SUBCOMMANDS_HELP = `
Subcommands:
  klp_exporter rules [...]             print alert and recording rules for your job selector and runbook URL
  klp_exporter dashboard fleet|host    print Grafana dashboards
  klp_exporter demo [<scenario>] [--demo.fixtures=<dir>]
                                       serve a simulated host (needs a source checkout's test/fixtures)
  klp_exporter <subcommand> --help     details
`;

type Options = Record<string, { type: 'string' | 'boolean' }>;

/** Strict flag parsing (unknown flags are errors); every value as a string, booleans as 'true'. */
function parse(args: readonly string[], options: Options, usage: string): { values: Record<string, string | undefined>; positionals: string[] } {
  try {
    const r = parseArgs({ args: [...args], options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
    const values = Object.fromEntries(Object.entries(r.values).map(([k, v]) => [k, v === undefined ? undefined : String(v)]));
    return { values, positionals: r.positionals };
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n${usage}`);
  }
}

/** `klp_exporter rules ...`: the rules file on stdout. */
export function rulesCommand(args: readonly string[]): string {
  const { values, positionals } = parse(
    args,
    {
      selector: { type: 'string' },
      'runbook-url': { type: 'string' },
      textfile: { type: 'boolean' },
      'textfile.interval': { type: 'string' },
      'textfile.name': { type: 'string' },
    },
    RULES_USAGE,
  );
  if (values.help) return RULES_USAGE;
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}\n${RULES_USAGE}`);
  const textfileOnly = values['textfile.interval'] !== undefined || values['textfile.name'] !== undefined;
  if (textfileOnly && !values.textfile) throw new UsageError(`--textfile.interval and --textfile.name need --textfile\n${RULES_USAGE}`);
  const fileName = values['textfile.name'] ?? DEFAULT_TEXTFILE_NAME;
  if (!/^[\w.-]+\.prom$/.test(fileName)) throw new UsageError(`invalid --textfile.name ${JSON.stringify(fileName)}: expected a file name ending in .prom`);
  return renderRules({
    selector: values.selector !== undefined ? parseSelector(values.selector) : values.textfile ? DEFAULT_TEXTFILE_SELECTOR : SHIPPED_SELECTOR,
    runbookUrl: values['runbook-url'] !== undefined ? parseRunbookUrl(values['runbook-url']) : DEFAULT_RUNBOOK_URL,
    textfile: values.textfile
      ? {
          intervalSeconds: values['textfile.interval'] !== undefined ? parseInterval(values['textfile.interval']) : DEFAULT_TEXTFILE_INTERVAL_SECONDS,
          fileName,
        }
      : undefined,
  });
}

/** `klp_exporter dashboard fleet|host ...`: the dashboard JSON on stdout. */
export function dashboardCommand(args: readonly string[]): string {
  const { values, positionals } = parse(args, { job: { type: 'string' } }, DASHBOARD_USAGE);
  if (values.help) return DASHBOARD_USAGE;
  const which = positionals[0];
  if (positionals.length !== 1 || (which !== 'fleet' && which !== 'host')) throw new UsageError(`name one dashboard: fleet or host\n${DASHBOARD_USAGE}`);
  const job = values.job;
  if (job !== undefined && !/^[^"\\\n]+$/.test(job)) throw new UsageError(`invalid --job ${JSON.stringify(job)}`);
  return renderDashboard(which, job);
}
