// When SUSE's live patch support for the running kernel ends. Sources, in order:
//  1. the lifecycle data files (package lifecycle-data-sle-module-live-patching / -sle-live-patching),
//  2. `zypper lifecycle <package>` (opt-in: slow and takes the zypp lock; throttled),
//  3. the running kernel package's build time + N months (SUSE's support window: 13 months).
// Reading (files, zypper) is here; the decision is chooseExpiry, a pure function.

import type { CollectorContext } from '../../collectors/collector.js';
import { CommandError } from '../../host/exec.js';
import { readOptionalHostFile, statStamp } from '../../host/files.js';
import { hostView, rootfsPath } from '../../host/paths.js';
import { addMonthsUtc } from '../../parsers/date.js';
import { findLifecycleEntry, MAX_PROBLEMS, parseLifecycleData, parseZypperLifecycle, type LifecycleData, type LifecycleEntry, type ZypperLifecycle } from '../../parsers/lifecycle.js';
import type { RpmPackage } from '../../parsers/rpm.js';
import type { Expiry, ExpiryQuestion } from '../system.js';
import { livepatchPackageNamesFor } from './names.js';
import { rpmDbStamp } from './rpm.js';

export const EXPIRY_SOURCES = ['lifecycle', 'zypper', 'kernel-build-time'] as const;
export type ExpirySource = (typeof EXPIRY_SOURCES)[number];

/** SUSE's live patch support window: 13 months after the kernel's release. */
export const SUPPORT_WINDOW_MONTHS = 13;

/** The directories zypper-lifecycle reads, in its order, and the live patching product files. */
const LIFECYCLE_DIRS = ['var/lib/lifecycle/data', 'usr/lib/lifecycle/data', 'usr/share/lifecycle/data'];
const LIFECYCLE_FILES = ['sle-module-live-patching.lifecycle', 'sle-live-patching.lifecycle'];
const LIFECYCLE_FILE_LIMIT = 4 * 1024 * 1024;
const LIFECYCLE_PATHS = LIFECYCLE_DIRS.flatMap((d) => LIFECYCLE_FILES.map((f) => `${d}/${f}`));

/** What `zypper lifecycle` answered, and when it was asked (unix ms). */
export interface ZypperAnswer {
  /** undefined: the package is not installed. */
  readonly answer: ZypperLifecycle | undefined;
  readonly atMs: number;
}

/** Everything the expiry is chosen from. */
export interface ExpiryEvidence {
  /** Lines of the lifecycle data files, in zypper-lifecycle's order (the last match wins). */
  readonly lifecycleEntries: readonly LifecycleEntry[];
  /** Live patch package names of the running kernel (SLE 15+ and SLE 12 spellings). */
  readonly candidateNames: readonly string[];
  /** The running kernel's installed live patch package (highest version), if any. */
  readonly installed: RpmPackage | undefined;
  /** zypper's answer; undefined when it was not asked or failed. */
  readonly zypper: ZypperAnswer | undefined;
  /** Build time of the running kernel's package, unix ms. */
  readonly kernelBuildTimeMs: number | undefined;
  /** Support window after the build time; 0: no fallback. */
  readonly fallbackMonths: number;
}

/** The date the lifecycle data gives the running kernel's live patch, if any. */
export function lifecycleDate(e: Pick<ExpiryEvidence, 'lifecycleEntries' | 'candidateNames' | 'installed'>): number | undefined {
  const edition = e.installed ? `${e.installed.version}-${e.installed.release}` : undefined;
  for (const name of e.installed ? [e.installed.name] : e.candidateNames) {
    const date = findLifecycleEntry(e.lifecycleEntries, name, edition)?.date;
    if (date !== undefined) return date;
  }
  return undefined;
}

/** Choose the expiry from the sources, in order. Pure. */
export function chooseExpiry(e: ExpiryEvidence): Expiry | undefined {
  const fromData = lifecycleDate(e);
  if (fromData !== undefined) return { atMs: fromData, source: 'lifecycle' };
  // zypper and the build time speak about an installed live patch only.
  if (!e.installed) return undefined;
  const z = e.zypper?.answer;
  if (z?.kind === 'date') return { atMs: z.date, source: 'zypper' };
  // "Now" says support has ended without a date: the time of the check is the latest it can be.
  if (z?.kind === 'ended') return { atMs: e.zypper!.atMs, source: 'zypper', ended: true };
  // "Now" because an update is available, or no date known: the next source answers.
  if (e.fallbackMonths > 0 && e.kernelBuildTimeMs !== undefined) {
    return { atMs: addMonthsUtc(e.kernelBuildTimeMs, e.fallbackMonths), source: 'kernel-build-time' };
  }
  return undefined;
}

const zypperKey = (pkg: string) => `zypper lifecycle ${pkg}`;

/** The cache inputs besides the question: the data files, the RPM database, and zypper's turn. */
export function expiryInputs(ctx: CollectorContext, q: ExpiryQuestion): unknown {
  const { zypper, zypperIntervalMs } = ctx.config.lifecycle;
  return {
    files: LIFECYCLE_PATHS.map((p) => statStamp(rootfsPath(ctx.paths, p)) ?? null),
    rpmDb: rpmDbStamp(ctx),
    // A new answer is due: refresh, so that zypper is asked again (at most every interval).
    zypper: zypper && q.installed ? ctx.throttleState(zypperKey(q.installed.name), zypperIntervalMs) : null,
  };
}

export async function expiry(ctx: CollectorContext, q: ExpiryQuestion): Promise<Expiry | undefined> {
  const { zypper, zypperIntervalMs, fallbackMonths } = ctx.config.lifecycle;
  const evidence: ExpiryEvidence = {
    lifecycleEntries: await readLifecycleData(ctx),
    candidateNames: livepatchPackageNamesFor(q.kernel),
    installed: q.installed,
    zypper: undefined,
    kernelBuildTimeMs: q.kernelPackage ? q.kernelPackage.buildTime * 1000 : undefined,
    fallbackMonths,
  };
  let answer: ZypperAnswer | undefined;
  if (zypper && ctx.commands.zypper && q.installed && lifecycleDate(evidence) === undefined) {
    const pkg = q.installed.name;
    try {
      const t = await ctx.throttled(zypperKey(pkg), zypperIntervalMs, () => askZypper(ctx, pkg));
      answer = { answer: t.value, atMs: t.atMs };
      if (t.value && t.value.kind !== 'date' && t.value.kind !== 'ended') ctx.log.debug('zypper lifecycle gives no end date', { package: pkg, answer: t.value.kind });
    } catch (err) {
      ctx.problem(err instanceof Error ? err.message : String(err));
    }
  }
  return chooseExpiry({ ...evidence, zypper: answer });
}

/** Lines parsed between two turns of the event loop. */
const SLICE_LINES = 10_000;

/**
 * Parse a data file in slices of SLICE_LINES lines, letting the event loop run between them: a
 * 4 MiB file of two million short lines takes a few hundred milliseconds to parse, and
 * /-/healthy and the other scrapes must not wait for it.
 */
async function parseInSlices(text: string, source: string): Promise<LifecycleData> {
  const entries: LifecycleEntry[] = [];
  const problems: string[] = [];
  let problemCount = 0;
  for (let start = 0, line = 1; start < text.length;) {
    let end = start;
    let lines = 0;
    while (lines < SLICE_LINES && end < text.length) {
      const nl = text.indexOf('\n', end);
      end = nl === -1 ? text.length : nl + 1;
      lines++;
    }
    const part = parseLifecycleData(text.slice(start, end), source, line);
    for (const e of part.entries) entries.push(e);
    problems.push(...part.problems.slice(0, MAX_PROBLEMS - problems.length));
    problemCount += part.problemCount;
    start = end;
    line += lines;
    if (start < text.length) await new Promise((resolve) => setImmediate(resolve));
  }
  return { entries, problems, problemCount };
}

/** Every line of the lifecycle data files, in zypper-lifecycle's order. */
async function readLifecycleData(ctx: CollectorContext): Promise<LifecycleEntry[]> {
  const entries: LifecycleEntry[] = [];
  for (const rel of LIFECYCLE_PATHS) {
    const p = rootfsPath(ctx.paths, rel);
    const text = readOptionalHostFile(p, LIFECYCLE_FILE_LIMIT);
    if (text === undefined) continue;
    const source = hostView(ctx.paths, p);
    const data = await parseInSlices(text, source);
    // One line per file and refresh, however many lines are bad: a count and the first few.
    if (data.problemCount > 0) {
      ctx.log.warn('skipped lifecycle data lines', { file: source, skipped: data.problemCount, first: data.problems.join('; ') });
    }
    // A few bad lines are skipped (as zypper-lifecycle does); a file with nothing usable at all
    // (truncated, emptied, overwritten) is a broken source, not "no date for this package".
    if (data.entries.length === 0) ctx.problem(`${source}: no usable lifecycle line${data.problemCount > 0 ? ` (${data.problemCount} bad)` : ' (empty)'}`);
    for (const e of data.entries) entries.push(e);
  }
  return entries;
}

/** `zypper lifecycle <pkg>`: the answer, undefined when the package is not installed. */
async function askZypper(ctx: CollectorContext, pkg: string): Promise<ZypperLifecycle | undefined> {
  const args = [...(ctx.paths.rootfs === '/' ? [] : ['--root', ctx.paths.rootfs]), '--non-interactive', '--no-refresh', 'lifecycle', pkg];
  const r = await ctx.run('zypper', args);
  if (r.exitCode === 0 && !r.timedOut && !r.truncated) return parseZypperLifecycle(r.stdout, pkg, r.command);
  if (r.exitCode === 1 && /not installed/.test(r.stdout + r.stderr)) return undefined;
  // Another zypper holds the lock: try again at the next refresh, not after a whole interval.
  if (r.exitCode === 7) throw new CommandError(r, 'the zypp lock is held by another process (exit 7)');
  throw new CommandError(r);
}
