// lifecycle collector: when live patch support for the running kernel ends. Sources, in order:
//  1. the lifecycle data files (package lifecycle-data-sle-module-live-patching / -sle-live-patching),
//  2. `zypper lifecycle <package>` (opt-in: slow and takes the zypp lock; at most every interval),
//  3. the running kernel package's build time + N months (the SUSE guide's support window).
// Cached until the data files or the RPM database change.

import { CommandError } from '../host/exec.js';
import { readOptionalHostFile } from '../host/files.js';
import { hostView, rootfsPath } from '../host/paths.js';
import { addMonthsUtc } from '../parsers/date.js';
import { findLifecycleEntry, MAX_PROBLEMS, parseLifecycleData, parseZypperLifecycle, type LifecycleData, type LifecycleEntry, type ZypperLifecycle } from '../parsers/lifecycle.js';
import type { RpmPackage } from '../parsers/rpm.js';
import type { CollectorContext } from './types.js';

export type ExpirySource = 'lifecycle' | 'zypper' | 'kernel-build-time';
export const EXPIRY_SOURCES: readonly ExpirySource[] = ['lifecycle', 'zypper', 'kernel-build-time'];

export interface Expiry {
  /** Unix milliseconds. */
  readonly atMs: number;
  readonly source: ExpirySource;
  /** Support has ended, date unknown (zypper's "Now"): atMs is when that was seen, never later than now. */
  readonly ended?: true;
}

/**
 * The expiry as of `nowMs`: an ended answer is never in the future, also when the wall clock
 * stepped back since it was seen (then it ended "now").
 */
export function expiryAsOf(expiry: Expiry, nowMs: number): Expiry {
  return expiry.ended && expiry.atMs > nowMs ? { ...expiry, atMs: nowMs } : expiry;
}

/** The directories zypper-lifecycle reads, in its order, and the live patching product files. */
const LIFECYCLE_DIRS = ['var/lib/lifecycle/data', 'usr/lib/lifecycle/data', 'usr/share/lifecycle/data'];
const LIFECYCLE_FILES = ['sle-module-live-patching.lifecycle', 'sle-live-patching.lifecycle'];
const LIFECYCLE_FILE_LIMIT = 4 * 1024 * 1024;

/** Every lifecycle data path we look at, relative to the root. */
export const LIFECYCLE_PATHS = LIFECYCLE_DIRS.flatMap((d) => LIFECYCLE_FILES.map((f) => `${d}/${f}`));

export interface LifecycleInput {
  /** Live patch package names for the running kernel (SLE 15+ and SLE 12 spellings). */
  readonly candidateNames: readonly string[];
  /** The running kernel's installed live patch package (highest version), if any. */
  readonly installed: RpmPackage | undefined;
  /** The running kernel's own kernel-<flavor> package, if found. */
  readonly kernelPackage: RpmPackage | undefined;
}

export interface LifecycleOptions {
  readonly zypper: boolean;
  readonly zypperIntervalMs: number;
  readonly fallbackMonths: number;
}

export interface ZypperAnswer {
  readonly pkg: string;
  /** When zypper was asked (unix ms). */
  readonly atMs: number;
  /** undefined: the package is not installed. */
  readonly answer: ZypperLifecycle | undefined;
}

/** Keeps the last `zypper lifecycle` answer between refreshes, so zypper runs at most every interval. */
export class ZypperMemo {
  private last: ZypperAnswer | undefined;

  async ask(ctx: CollectorContext, pkg: string, intervalMs: number): Promise<ZypperAnswer> {
    const now = ctx.now();
    // Asked again after the interval, and when the clock stepped back behind the last answer.
    if (this.last && this.last.pkg === pkg && now >= this.last.atMs && now - this.last.atMs < intervalMs) return this.last;
    const args = [...(ctx.paths.rootfs === '/' ? [] : ['--root', ctx.paths.rootfs]), '--non-interactive', '--no-refresh', 'lifecycle', pkg];
    const r = await ctx.run('zypper', args);
    let answer: ZypperLifecycle | undefined;
    if (r.exitCode === 0 && !r.timedOut && !r.truncated) {
      answer = parseZypperLifecycle(r.stdout, pkg, r.command);
    } else if (r.exitCode === 1 && /not installed/.test(r.stdout + r.stderr)) {
      answer = undefined;
    } else if (r.exitCode === 7) {
      // Another zypper holds the lock: try again at the next refresh, not after a whole interval.
      throw new CommandError(r, 'the zypp lock is held by another process (exit 7)');
    } else {
      throw new CommandError(r);
    }
    this.last = { pkg, atMs: now, answer };
    return this.last;
  }
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
  for (let start = 0, line = 1; start < text.length; ) {
    let end = start;
    let lines = 0;
    while (lines < SLICE_LINES && end < text.length) {
      const nl = text.indexOf('\n', end);
      end = nl === -1 ? text.length : nl + 1;
      lines++;
    }
    const part = parseLifecycleData(text.slice(start, end), source, line);
    entries.push(...part.entries);
    problems.push(...part.problems.slice(0, MAX_PROBLEMS - problems.length));
    problemCount += part.problemCount;
    start = end;
    line += lines;
    if (start < text.length) await new Promise((resolve) => setImmediate(resolve));
  }
  return { entries, problems, problemCount };
}

export async function collectLifecycle(ctx: CollectorContext, input: LifecycleInput, opts: LifecycleOptions, memo: ZypperMemo): Promise<Expiry | undefined> {
  // 1. Lifecycle data files: last matching line wins across all files, in zypper-lifecycle's order.
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
  const edition = input.installed ? `${input.installed.version}-${input.installed.release}` : undefined;
  for (const name of input.installed ? [input.installed.name] : input.candidateNames) {
    const entry = findLifecycleEntry(entries, name, edition);
    if (entry?.date !== undefined) return { atMs: entry.date, source: 'lifecycle' };
  }
  // Sources 2 and 3 speak about an installed live patch only.
  if (!input.installed) return undefined;
  // 2. zypper lifecycle.
  if (opts.zypper && ctx.commands.zypper) {
    try {
      const { answer, atMs } = await memo.ask(ctx, input.installed.name, opts.zypperIntervalMs);
      if (answer?.kind === 'date') return { atMs: answer.date, source: 'zypper' };
      // "Now" says support has ended without a date: the time of the check is the latest it can be.
      if (answer?.kind === 'ended') return expiryAsOf({ atMs, source: 'zypper', ended: true }, ctx.now());
      // "Now" because an update is available, or no date known: the next source answers.
      if (answer) ctx.log.debug('zypper lifecycle gives no end date', { package: input.installed.name, answer: answer.kind });
    } catch (err) {
      ctx.problem(err instanceof Error ? err.message : String(err));
    }
  }
  // 3. Kernel build time + support window.
  if (opts.fallbackMonths > 0 && input.kernelPackage) {
    return { atMs: addMonthsUtc(input.kernelPackage.buildTime * 1000, opts.fallbackMonths), source: 'kernel-build-time' };
  }
  return undefined;
}
