// Which live patch versions for the running kernel the enabled zypp repositories offer (the
// repositories collector), read from the raw metadata libzypp keeps on disk (no network, no zypp
// lock, no root): /etc/zypp/repos.d/*.repo, then for each enabled repository
// /var/cache/zypp/raw/<alias>/[<path>/]repodata/repomd.xml, and the primary and updateinfo
// files it lists. Cached until a repository definition or a repomd.xml changes (libzypp touches
// repomd.xml on every successful refresh and replaces it when the metadata changed). Only
// packages of the running kernel's architecture (and noarch) count, as zypper installs only
// those. A primary or updateinfo file that failed is not read again until it changes (its size,
// mtime or inode): the cache recomputes after a failure, and a hostile file must not cost a
// refusal's work every time.

import { readdirSync, statSync } from 'node:fs';
import os from 'node:os';
import type { CollectorContext } from '../../collectors/collector.js';
import { describeError, FileReadError, isNotFound, ParseError } from '../../errors.js';
import { CommandError } from '../../host/exec.js';
import { readHostFile, readOptionalHostFile, statStamp } from '../../host/files.js';
import { streamTextFile, METADATA_LIMITS, type StreamLimits } from '../../host/metadata-stream.js';
import { hostView, procPath, rootfsPath } from '../../host/paths.js';
import type { KernelRelease } from '../../parsers/kernel.js';
import { PrimaryScanner, UpdateinfoScanner, archAccepted, parseRepomd, repomdLocation, type Advisory } from '../../parsers/rpm-md.js';
import type { OfferedUpdates, Offer, RepositoryState } from '../system.js';
import { livepatchPackageNamesFor } from './names.js';
import { parseZypperSearch, type SearchHit } from './zypper-search.js';
import { DEFAULT_ZYPP_DIRS, escapedAlias, parseRepoFile, parseZyppConf, repoSubPath, type RepoDefinition, type ZyppDirs } from './zypp-repos.js';

export interface RepoConfig {
  readonly dirs: ZyppDirs;
  /** The enabled repositories whose metadata is read (at most MAX_REPOSITORIES), in alias order. */
  readonly repos: readonly RepoDefinition[];
  /** Enabled repositories beyond MAX_REPOSITORIES: not read, no series of their own, only counted. */
  readonly ignored: number;
  readonly problems: readonly string[];
  /** Fingerprint of zypp.conf, the repos.d directory and every .repo file. */
  readonly stamp: string;
}

const ZYPP_CONF = 'etc/zypp/zypp.conf';
/** Largest zypp.conf or .repo file read (a real one is well under 10 KiB). */
const CONF_LIMIT = 1024 * 1024;
/** Bytes of .repo files read in all: they are read and parsed on a scrape's path (1 MiB: about 150 ms). */
const REPO_FILES_TOTAL_LIMIT = 1024 * 1024;
const REPOMD_LIMIT = 4 * 1024 * 1024;
const MAX_REPO_FILES = 1000;
/** Enabled repositories whose metadata is read and that get series of their own; the rest are counted. */
export const MAX_REPOSITORIES = 100;
/** Longest alias: it names a directory of the metadata cache. */
const MAX_ALIAS = 255;
/** Problems kept per reading of the definitions: a thousand broken files cost a count, not a thousand messages. */
const MAX_PROBLEMS = 10;

/** Reads zypp.conf and repos.d again only when one of them changed (checked on every scrape). */
class RepoConfigMemo {
  private last: RepoConfig | undefined;

  get(ctx: CollectorContext): RepoConfig {
    const stamp = configStamp(ctx, this.last?.dirs ?? DEFAULT_ZYPP_DIRS);
    if (this.last && this.last.stamp === stamp) return this.last;
    this.last = read(ctx);
    return this.last;
  }
}

/** The last listing of a repositories directory, by its stamp: a directory of 100,000 entries is not listed on every scrape. */
const listings = new Map<string, { stamp: string; files: string[] }>();

/** The .repo files of the repositories directory, sorted; a missing directory throws (ENOENT). */
function repoFiles(dir: string): string[] {
  // Adding, removing or renaming an entry changes the directory's modification time.
  const stamp = statStamp(dir);
  const last = listings.get(dir);
  if (stamp !== undefined && last?.stamp === stamp) return last.files;
  const files = readdirSync(dir)
    .filter((n) => n.endsWith('.repo'))
    .sort();
  if (stamp !== undefined) {
    if (listings.size >= 16) listings.clear();
    listings.set(dir, { stamp, files });
  }
  return files;
}

/** Fingerprint of zypp.conf, the repositories directory and its .repo files. */
function configStamp(ctx: CollectorContext, dirs: ZyppDirs): string {
  const reposDirPath = rootfsPath(ctx.paths, dirs.reposDir);
  let files: string[] = [];
  try {
    files = repoFiles(reposDirPath).slice(0, MAX_REPO_FILES);
  } catch {
    files = [];
  }
  const conf = statStamp(rootfsPath(ctx.paths, ZYPP_CONF)) ?? '';
  return [conf, statStamp(reposDirPath) ?? '', ...files.map((f) => `${f}:${statStamp(`${reposDirPath}/${f}`) ?? ''}`)].join('|');
}

function read(ctx: CollectorContext): RepoConfig {
  const problems: string[] = [];
  let unreported = 0;
  const problem = (message: string) => {
    if (problems.length < MAX_PROBLEMS) problems.push(message);
    else unreported++;
  };
  let dirs = DEFAULT_ZYPP_DIRS;
  const confPath = rootfsPath(ctx.paths, ZYPP_CONF);
  try {
    const text = readOptionalHostFile(confPath, CONF_LIMIT);
    if (text !== undefined) dirs = parseZyppConf(text, hostView(ctx.paths, confPath));
  } catch (err) {
    problem(describeError(err));
  }
  // Fingerprint first: a file changed while it is read makes the next scrape read it again.
  const stamp = configStamp(ctx, dirs);
  const reposDirPath = rootfsPath(ctx.paths, dirs.reposDir);
  let files: string[] = [];
  try {
    files = repoFiles(reposDirPath);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // No repos.d: a host without zypp (or without any repository): nothing is enabled.
    if (code !== 'ENOENT' && code !== 'ENOTDIR') problem(`${dirs.reposDir}: ${describeError(err)}`);
  }
  if (files.length > MAX_REPO_FILES) {
    problem(`${dirs.reposDir}: more than ${MAX_REPO_FILES} .repo files; the rest are ignored`);
    files = files.slice(0, MAX_REPO_FILES);
  }
  // The enabled repositories zypper prefers (lowest priority number, then alias), at most MAX_REPOSITORIES.
  const best: RepoDefinition[] = [];
  let enabled = 0;
  // Every alias defined so far, enabled or not: libzypp refuses a second repository with an alias it already knows.
  const seen = new Set<string>();
  let budget = REPO_FILES_TOTAL_LIMIT;
  for (const [i, f] of files.entries()) {
    const p = `${reposDirPath}/${f}`;
    const source = hostView(ctx.paths, p);
    try {
      const text = readHostFile(p, CONF_LIMIT);
      budget -= Buffer.byteLength(text);
      if (budget < 0) {
        problem(`${dirs.reposDir}: the .repo files hold more than ${REPO_FILES_TOTAL_LIMIT} bytes together; ${files.length - i} of them not read`);
        break;
      }
      let twice = 0;
      let long = 0;
      for (const r of parseRepoFile(text, source)) {
        // No directory can have such a name, so libzypp could not use it; nor is it a label value or a log field.
        if (r.alias.length > MAX_ALIAS) long++;
        else if (seen.has(r.alias)) twice++;
        else if (r.enabled) {
          enabled++;
          keepBest(best, r);
        }
        seen.add(r.alias);
      }
      if (long > 0) problem(`${source}: ${long} ${long === 1 ? 'section name is' : 'section names are'} longer than ${MAX_ALIAS} characters; not read`);
      if (twice > 0) problem(`${source}: ${twice} repository ${twice === 1 ? 'alias is' : 'aliases are'} already defined by an earlier file; the first definition wins`);
    } catch (err) {
      if (!isNotFound(err)) problem(describeError(err));
    }
  }
  if (unreported > 0) problems.push(`and ${unreported} more problems with the repository definitions`);
  const ignored = enabled - best.length;
  if (ignored > 0) {
    ctx.log.warn('more enabled repositories than the exporter reads; the rest are counted in klp_repositories_ignored', { dir: dirs.reposDir, enabled, read: best.length, ignored });
  }
  return { dirs, repos: best.sort(byAlias), ignored, problems, stamp };
}

const byAlias = (a: RepoDefinition, b: RepoDefinition) => (a.alias < b.alias ? -1 : a.alias > b.alias ? 1 : 0);
const byPreference = (a: RepoDefinition, b: RepoDefinition) => a.priority - b.priority || byAlias(a, b);

/** Keep `r` in `best` (sorted by preference) when it is among the MAX_REPOSITORIES preferred: linear in the number of repositories. */
function keepBest(best: RepoDefinition[], r: RepoDefinition): void {
  if (best.length === MAX_REPOSITORIES && byPreference(r, best[best.length - 1]!) >= 0) return;
  let lo = 0;
  let hi = best.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (byPreference(best[mid]!, r) <= 0) lo = mid + 1;
    else hi = mid;
  }
  best.splice(lo, 0, r);
  if (best.length > MAX_REPOSITORIES) best.pop();
}

/** Where an enabled repository's cached repomd.xml is, or undefined when its alias or path cannot name a cache directory. */
export function repomdPath(ctx: CollectorContext, dirs: ZyppDirs, repo: RepoDefinition): string | undefined {
  const esc = escapedAlias(repo.alias);
  const sub = repoSubPath(repo.path);
  if (esc === undefined || sub === undefined) return undefined;
  return rootfsPath(ctx.paths, dirs.metadataDir, esc, sub, 'repodata/repomd.xml');
}

/** Fingerprint of every enabled repository's repomd.xml. */
function repositoriesStamp(ctx: CollectorContext, config: RepoConfig): string {
  const enabled = config.repos.filter((r) => r.enabled);
  return enabled.map((r) => `${r.alias}:${statStamp(repomdPath(ctx, config.dirs, r) ?? '') ?? ''}`).join('|');
}

/** One memo per host root (tests run several exporters in one process). */
const memos = new Map<string, RepoConfigMemo>();

export interface UpdatesQuestion {
  /** The running kernel's live patch package names. */
  readonly names: readonly string[];
  /** The running kernel's architecture (rpm's name for it: x86_64, s390x, ppc64le, aarch64). */
  readonly arch: string;
  readonly config: RepoConfig;
  /** Fingerprint of every enabled repository's repomd.xml. */
  readonly repomd: string;
  /** The zypper fallback's turn (when enabled): a refresh when a new answer is due. */
  readonly zypper: number | 'due' | null;
}

const zypperKey = (names: readonly string[]) => `zypper search ${names.join(' ')}`;

const ARCH = /^[a-z0-9_]{1,32}$/;

/**
 * The running kernel's architecture: /proc/sys/kernel/arch (Linux 6.1 and later, under
 * --path.procfs), else uname(2)'s machine (os.machine()): the kernel the exporter runs on, which
 * a container shares with its host. Both are the kernel's UTS machine, which on SUSE's
 * architectures is rpm's name for it (x86_64, s390x, ppc64le, aarch64).
 */
export function kernelArch(ctx: CollectorContext): string {
  try {
    const text = readOptionalHostFile(procPath(ctx.paths, 'sys/kernel/arch'), 64)?.trim();
    if (text !== undefined && ARCH.test(text)) return text;
  } catch {
    // unreadable: ask uname
  }
  return os.machine();
}

/** What the offered updates depend on, cheap: checked on every scrape, the cache key. */
export function updatesInputs(ctx: CollectorContext, kernel: KernelRelease): UpdatesQuestion {
  let memo = memos.get(ctx.paths.rootfs);
  if (!memo) memos.set(ctx.paths.rootfs, (memo = new RepoConfigMemo()));
  const config = memo.get(ctx);
  const names = livepatchPackageNamesFor(kernel);
  const { zypper, zypperIntervalMs } = ctx.config.repositories;
  return { names, arch: kernelArch(ctx), config, repomd: repositoriesStamp(ctx, config), zypper: zypper ? ctx.throttleState(zypperKey(names), zypperIntervalMs) : null };
}

/**
 * The fallback for hosts whose cache cannot be read (another layout, only solv files): zypper's
 * own view, `zypper --no-refresh --xmlout search --details --match-exact --type package NAMES`.
 * Non-root, zypper takes no lock; as root it does, and exit 7 (locked) fails this refresh only.
 * Exit 104: no package of these names anywhere.
 */
async function searchWithZypper(ctx: CollectorContext, names: readonly string[]): Promise<SearchHit[]> {
  const root = ctx.paths.rootfs === '/' ? [] : ['--root', ctx.paths.rootfs];
  const args = [...root, '--non-interactive', '--no-refresh', '--xmlout', 'search', '--details', '--match-exact', '--type', 'package', ...names];
  const r = await ctx.run('zypper', args);
  if (r.exitCode === 104 && !r.timedOut) return [];
  if (r.exitCode === 0 && !r.timedOut && !r.truncated) return parseZypperSearch(r.stdout, new Set(names), r.command);
  if (r.exitCode === 7) throw new CommandError(r, 'the zypp lock is held by another process (exit 7)');
  throw new CommandError(r);
}

/** A metadata file that could not be read, for what it was read, while its stamp stays the same. */
interface Failure {
  readonly stamp: string;
  readonly error: unknown;
}

/** Failures caused by a file's content (not by a passing condition such as a full file table): remembered until the file changes. */
function isContentFailure(err: unknown): boolean {
  if (err instanceof ParseError) return true;
  return err instanceof FileReadError && !['EACCES', 'EPERM', 'EMFILE', 'ENFILE', 'EIO', 'EAGAIN', 'EINTR', 'ENOMEM', 'ENOENT', 'ETIMEDOUT'].includes(err.code ?? '');
}

/** Per host root, the remembered failures by file path (only files of the last computation are kept). */
const failures = new Map<string, Map<string, Failure>>();

/**
 * Stream a metadata file into `scanner`, unless it failed before with the same stamp and question
 * (then its failure again, without reading it).
 */
async function readMetadata(file: string, question: string, scanner: { write(t: string): void; end(): void }, limits: StreamLimits, remembered: Map<string, Failure>, seen: Set<string>): Promise<void> {
  seen.add(file);
  const stamp = `${statStamp(file) ?? ''}|${question}`;
  const before = remembered.get(file);
  if (before && before.stamp === stamp) throw before.error;
  try {
    await streamTextFile(file, (t) => scanner.write(t), limits);
    scanner.end();
    remembered.delete(file);
  } catch (err) {
    if (isContentFailure(err)) remembered.set(file, { stamp, error: err });
    throw err;
  }
}

/** The limits of the metadata reader with the configured decompressed size. */
export function metadataLimits(ctx: CollectorContext): StreamLimits {
  return { ...METADATA_LIMITS, maxContentBytes: ctx.config.repositories.maxMetadataBytes };
}

export async function offeredUpdates(ctx: CollectorContext, question: UpdatesQuestion, limits: StreamLimits = metadataLimits(ctx)): Promise<OfferedUpdates> {
  const { config, names: wantedNames } = question;
  for (const p of config.problems) ctx.problem(p);
  const wanted = new Set(wantedNames);
  const arches = new Set([question.arch]);
  let remembered = failures.get(ctx.paths.rootfs);
  if (!remembered) failures.set(ctx.paths.rootfs, (remembered = new Map()));
  const seen = new Set<string>();
  const asked = JSON.stringify([wantedNames, question.arch, limits.maxContentBytes]);
  const repositories: RepositoryState[] = [];
  const offers: Offer[] = [];
  const advisories: Advisory[] = [];
  let read = 0;
  let failed = 0;
  for (const repo of config.repos) {
    if (!repo.enabled) continue;
    const state = (refreshedMs: number | undefined) => repositories.push({ alias: repo.alias, autorefresh: repo.autorefresh, refreshedMs });
    const fail = (err: unknown) => {
      // Unreadable metadata says nothing reliable, not even when it was last refreshed.
      ctx.problem(`repository ${JSON.stringify(repo.alias)}: ${describeError(err)}`);
      state(undefined);
      failed++;
    };
    const repomd = repomdPath(ctx, config.dirs, repo);
    if (repomd === undefined) {
      fail('its alias or path= cannot name a cache directory');
      continue;
    }
    const source = hostView(ctx.paths, repomd);
    try {
      const text = readOptionalHostFile(repomd, REPOMD_LIMIT);
      if (text === undefined) {
        // Never refreshed, cleaned (zypper clean -M) or not rpm-md (plaindir, yast2): nothing to read.
        ctx.log.info('repository has no cached rpm-md metadata', { repository: repo.alias, path: source });
        state(undefined);
        continue;
      }
      const refreshedMs = statSync(repomd).mtimeMs;
      const base = repomd.slice(0, -'repodata/repomd.xml'.length);
      const index = parseRepomd(text, source);
      const primary = repomdLocation(index, 'primary', source);
      if (primary === undefined) throw new Error(`${source}: lists no primary metadata`);
      const ps = new PrimaryScanner(hostView(ctx.paths, base + primary), wanted, undefined, arches);
      await readMetadata(base + primary, asked, ps, limits, remembered, seen);
      const updateinfo = repomdLocation(index, 'updateinfo', source);
      const us = updateinfo === undefined ? undefined : new UpdateinfoScanner(hostView(ctx.paths, base + updateinfo), wanted, undefined, arches);
      if (us) await readMetadata(base + updateinfo!, asked, us, limits, remembered, seen);
      // Keep a repository's findings only when all of its files were read.
      for (const pkg of ps.packages) offers.push({ pkg, repository: repo.alias, priority: repo.priority });
      if (us) for (const a of us.advisories) advisories.push(a);
      state(refreshedMs);
      read++;
    } catch (err) {
      fail(err);
    }
  }
  for (const file of remembered.keys()) if (!seen.has(file)) remembered.delete(file);
  const { zypper, zypperIntervalMs } = ctx.config.repositories;
  if (zypper && read === 0 && ctx.commands.zypper && wantedNames.length > 0) {
    // Nothing readable in the cache: zypper's answer (no advisories). zypper names a repository by
    // its name (its alias when it has none); the label is the alias, as for the cached metadata.
    try {
      const t = await ctx.throttled(zypperKey(wantedNames), zypperIntervalMs, () => searchWithZypper(ctx, wantedNames));
      for (const hit of t.value) {
        // zypper lists every architecture a repository has; it installs only the host's (and noarch).
        if (!archAccepted(hit.pkg.arch, arches)) continue;
        const repo = config.repos.find((r) => r.enabled && (r.name ?? r.alias) === hit.repository);
        offers.push({ pkg: hit.pkg, repository: repo?.alias ?? hit.repository, priority: repo?.priority ?? 99 });
      }
      return { repositories, ignored: config.ignored, read: 1, failed: 0, complete: config.problems.length === 0, offers, advisories, source: 'zypper' };
    } catch (err) {
      ctx.problem(`zypper search: ${describeError(err)}`);
    }
  }
  return { repositories, ignored: config.ignored, read, failed, complete: config.problems.length === 0, offers, advisories, source: 'cache' };
}
