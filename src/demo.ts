// `klp_exporter demo` (`npm run demo`): serve the metrics of a simulated SLES 15 SP6 host (a fixture host:
// a root tree plus recorded command outputs), so anyone can see realistic output on any machine.
//
// The fixture is frozen at its own date; the demo copies it to a temporary directory and moves
// every date in it (lifecycle data, package build and install times) forward by the time since
// then, so that the demo host is as far from its live patch expiry today as the fixture was.
//
// usage: klp_exporter demo [<scenario>] [--demo.fixtures=<dir>] [<exporter flags>...]   (default scenario: sles15sp6-patched; --help: demoUsage)
//
// The fixture hosts are the source repository's test/fixtures; packages (the bundle, the RPM, the container)
// do not ship them, so there the demo says where to get them instead of failing.

import { existsSync, promises as fs, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { embeddedBuild } from './embedded.js';
import { main } from './main.js';

const DAY_MS = 86_400_000;
const DEFAULT_SCENARIO = 'sles15sp6-patched';

/** The checkout's test/fixtures (tsc build, dist/ beside test/); none in the single-file build. */
function defaultFixtures(): string | undefined {
  if (embeddedBuild) return undefined;
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../test/fixtures');
}

class DemoUnavailable extends Error {}

/** Shift YYYY-MM-DD dates in a lifecycle data file by whole days. */
function shiftLifecycleDates(text: string, days: number): string {
  return text.replace(/(^|[,\s])(\d{4}-\d{2}-\d{2})(?=\s*(,|$))/gm, (_m, pre: string, date: string) => {
    const shifted = new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
    return `${pre}${shifted}`;
  });
}

/** Shift the BUILDTIME and INSTALLTIME columns of an `rpm -qa --qf` recording by whole days. */
function shiftRpmTimes(text: string, days: number): string {
  return text.replace(/^(.*\t.*\t.*\t.*\t)(\d+)\t(\d+)$/gm, (_m, head: string, b: string, i: string) => `${head}${Number(b) + days * 86400}\t${Number(i) + days * 86400}`);
}

async function walk(dir: string, visit: (file: string) => Promise<void>): Promise<void> {
  for (const e of await fs.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) await walk(p, visit);
    else if (e.isFile()) await visit(p);
  }
}

function checkFixtures(fixtures: string | undefined, scenario: string): string {
  const howTo =
    'The demo hosts are the test fixtures of the klp_exporter source repository and are not installed with the package. ' +
    'Run `npm ci && npm run demo` in a checkout of the repository, or point this program at one: ' +
    '`klp_exporter demo --demo.fixtures=<checkout>/test/fixtures`.';
  if (fixtures === undefined || !existsSync(path.join(fixtures, 'hosts'))) {
    throw new DemoUnavailable(`no demo hosts${fixtures === undefined ? ' in this build' : ` in ${fixtures}`}. ${howTo}`);
  }
  if (!/^[\w.-]+$/.test(scenario) || !existsSync(path.join(fixtures, 'hosts', scenario, 'scenario.yaml'))) {
    const known = readdirSync(path.join(fixtures, 'hosts')).sort().join(', ');
    throw new DemoUnavailable(`no demo host ${JSON.stringify(scenario)} in ${fixtures}; known: ${known}`);
  }
  return fixtures;
}

async function prepare(fixtures: string, scenario: string): Promise<string[]> {
  const src = path.join(fixtures, 'hosts', scenario);
  const meta = YAML.parse(readFileSync(path.join(src, 'scenario.yaml'), 'utf8')) as { now: string; args?: string[] };
  const days = Math.floor((Date.now() - Date.parse(meta.now)) / DAY_MS);
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'klp-demo-'));
  await fs.cp(path.join(fixtures, 'bin'), path.join(tmp, 'bin'), { recursive: true });
  const host = path.join(tmp, 'hosts', scenario);
  await fs.cp(src, host, { recursive: true, verbatimSymlinks: true });
  await walk(host, async (file) => {
    if (file.endsWith('.lifecycle')) await fs.writeFile(file, shiftLifecycleDates(await fs.readFile(file, 'utf8'), days));
    if (path.basename(file) === 'rpm_-qa.out') await fs.writeFile(file, shiftRpmTimes(await fs.readFile(file, 'utf8'), days));
  });
  // main() exits the process on SIGTERM/SIGINT; the copy goes with it.
  process.once('exit', () => rmSync(tmp, { recursive: true, force: true }));
  process.stderr.write(`demo: host ${scenario} (dates moved forward ${days} days) in ${tmp}\n`);
  return ['--path.rootfs', path.join(host, 'root'), '--exec.path', path.join(host, 'bin'), ...(meta.args ?? [])];
}

/** Lines of at most `width` characters, broken after a ", " (a longer item stays whole). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  return line === '' ? lines : [...lines, line];
}

/** `klp_exporter demo --help`: the demo's own arguments; the demo host's scenarios when there are any. */
function demoUsage(fixtures: string | undefined): string {
  let known: string[] = [];
  try {
    if (fixtures !== undefined) known = readdirSync(path.join(fixtures, 'hosts')).sort();
  } catch {
    // no demo hosts here: the usage says where they come from
  }
  return [
    'usage: klp_exporter demo [<scenario>] [--demo.fixtures=<dir>] [<exporter flags>...]',
    '',
    'Serve the metrics of a simulated host: a fixture host of the klp_exporter source repository (a root tree and',
    'recorded command outputs), copied to a temporary directory with its dates moved forward to today.',
    '',
    `  <scenario>              the demo host (default: ${DEFAULT_SCENARIO})${known.length > 0 ? ', one of:' : ''}`,
    ...wrap(known.join(', '), 80).map((line) => `                            ${line}`),
    "  --demo.fixtures=<dir>   the fixture directory, a checkout's test/fixtures (default: the checkout this program",
    '                          was built in; packages do not ship the fixtures)',
    '  <exporter flags>        any flag of `klp_exporter --help` (--web.listen-address, ...); given here, it replaces',
    "                          the scenario's own (--path.rootfs, --exec.path and the scenario's flags)",
    '',
  ].join('\n');
}

/** Run the demo: serve a fixture host with its dates moved to today. Same exit codes as main(). */
export async function runDemo(args: readonly string[]): Promise<number> {
  const argv = [...args];
  let fixtures = defaultFixtures();
  const flag = argv.findIndex((a) => a === '--demo.fixtures' || a.startsWith('--demo.fixtures='));
  if (flag >= 0) {
    const [given, next] = argv.splice(flag, argv[flag] === '--demo.fixtures' ? 2 : 1);
    const dir = given === '--demo.fixtures' ? next : given!.slice('--demo.fixtures='.length);
    if (dir === undefined || dir === '') {
      process.stderr.write('klp_exporter demo: flag --demo.fixtures needs a directory (klp_exporter demo --help)\n');
      return 2;
    }
    fixtures = path.resolve(dir);
  }
  // --help of the demo prints the demo's help, and sets up nothing.
  if (argv.some((a) => a === '-h' || a === '--help' || a === '--help=true')) {
    process.stdout.write(demoUsage(fixtures));
    return 0;
  }
  const scenario = argv[0] !== undefined && !argv[0].startsWith('-') ? argv.shift()! : DEFAULT_SCENARIO;
  try {
    const exporterArgs = await prepare(checkFixtures(fixtures, scenario), scenario);
    // A flag given on the command line replaces the scenario's own (the exporter rejects a repeated flag).
    const flagName = (arg: string) => arg.replace(/^--(no-)?/, '').split('=')[0];
    const given = new Set(argv.filter((a) => a.startsWith('--')).map(flagName));
    const kept = exporterArgs.filter((a, i) => !(a.startsWith('--') ? given.has(flagName(a)) : given.has(flagName(exporterArgs[i - 1]!))));
    return await main([...kept, ...argv]);
  } catch (err) {
    process.stderr.write(`klp_exporter demo: ${err instanceof Error ? err.message : String(err)}\n`);
    return err instanceof DemoUnavailable ? 2 : 1;
  }
}
