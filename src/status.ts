// What the collected data means for the operator: the live patch state, which loaded patch is
// active and which package it came from, what is installed, which CVEs are covered, whether a
// newer kernel waits for a reboot. Pure functions of a Snapshot; vendor naming is asked of the
// live patch system (systems/).

import type { SysfsPatch } from './collectors/livepatch.js';
import { compareVersionRelease, type RpmPackage } from './parsers/rpm.js';
import type { Advisory } from './parsers/rpm-md.js';
import type { LivePatchSystem, Offer, OfferedUpdates } from './systems/system.js';
import type { Snapshot } from './scrape/snapshot.js';

export type LivepatchState = 'patched' | 'transition' | 'unpatched' | 'unsupported';
export const LIVEPATCH_STATES: readonly LivepatchState[] = ['patched', 'transition', 'unpatched', 'unsupported'];

export interface PatchInfo {
  readonly patch: string;
  readonly package: string;
  readonly version: string;
  readonly release: string;
}

export interface Status {
  readonly state: LivepatchState | undefined;
  readonly patchInfo: readonly PatchInfo[];
  /** undefined when not knowable (livepatch collector failed). */
  readonly activeVersion: number | undefined;
  readonly installedVersion: number | undefined;
  readonly cves: readonly string[] | undefined;
  readonly bugs: readonly string[] | undefined;
  readonly newerKernelInstalled: boolean | undefined;
  /** What the repositories offer for the running kernel; undefined when no repository metadata was read. */
  readonly available: AvailablePatch | undefined;
}

export interface AvailablePatch {
  /** The newest live patch package for the running kernel the enabled repositories offer. */
  readonly newest: Offer | undefined;
  /** Its VERSION as a number (0 when none is offered; undefined when none was found but a repository could not be read). */
  readonly version: number | undefined;
  /** The advisory that ships it (updateinfo), if the repository has one. */
  readonly advisory: Advisory | undefined;
  /**
   * CVEs that installing the newest would fix and the active live patch does not: live patches are
   * cumulative, so the union of the CVEs of every advisory shipping a version above the active one
   * up to the newest, less the active patch's. Undefined when the active patch's version or CVEs,
   * or the newest's advisory, are unknown.
   */
  readonly cvesNew: number | undefined;
}

export function liveStatus(s: Snapshot, system: LivePatchSystem): Status {
  const kernel = s.kernel?.running;
  const lp = s.livepatch;
  const running = kernel && s.packages ? system.livepatchPackagesOf(kernel, s.packages) : undefined;

  // A patch whose enabled or transition file could not be read could be anything: say only
  // what the known values prove, and leave the state out otherwise (never "unpatched" by guess).
  let state: LivepatchState | undefined;
  if (lp) {
    if (!lp.supported) state = 'unsupported';
    else if (lp.patches.some((p) => p.transition === 1)) state = 'transition';
    else if (lp.patches.some((p) => p.transition === undefined)) state = undefined;
    else if (lp.patches.some((p) => p.enabled === 1)) state = 'patched';
    else if (lp.patches.some((p) => p.enabled === undefined)) state = undefined;
    else state = 'unpatched';
  }

  // Map each loaded patch to its package: the installed package that ships a module of that
  // name, else the RPM that klp names for it, but only when that package ships the module too
  // (klp may name the package as upgraded since, which does not contain the loaded module).
  const patchInfo: PatchInfo[] = [];
  const versionOf = new Map<string, number>();
  const byModule = packagesByModule(running ?? [], system);
  const klpByModule = firstByKey(s.klp?.patches ?? [], (k) => k.module);
  for (const patch of lp?.patches ?? []) {
    const pkg = byModule.get(patch.name);
    const fromKlp = klpByModule.get(patch.name)?.rpm;
    const info = pkg ?? (fromKlp && system.isLivepatchPackageName(fromKlp.name) && system.moduleNamesOf(fromKlp).includes(patch.name) ? fromKlp : undefined);
    if (info) patchInfo.push({ patch: patch.name, package: info.name, version: info.version, release: info.release });
    // A loaded module is built for the running kernel, so the version its name carries is the
    // running kernel's live patch version even when the package was already upgraded away.
    const v = info ? system.packageVersion(info) : system.moduleVersion(patch.name);
    if (v !== undefined) versionOf.set(patch.name, v);
  }

  const activePatch = lp ? pickActive(lp.patches, versionOf) : undefined;
  // Unknown as well when a patch of unknown state could be the active one (a higher version).
  const undecided = lp?.patches.some((p) => (p.enabled === undefined || p.transition === undefined) && versionOf.has(p.name) && (!activePatch || versionOf.get(p.name)! > versionOf.get(activePatch.name)!));
  const activeVersion = lp && !undecided ? (activePatch ? versionOf.get(activePatch.name)! : 0) : undefined;
  const installedVersion = running ? running.reduce((max, p) => Math.max(max, system.packageVersion(p) ?? 0), 0) : undefined;

  let cves: readonly string[] | undefined;
  let bugs: readonly string[] | undefined;
  if (activeVersion === 0) {
    cves = [];
    bugs = [];
  } else if (activeVersion !== undefined && activePatch && s.klp) {
    const block = klpByModule.get(activePatch.name);
    if (block) {
      cves = block.initial ? [] : block.cves;
      bugs = block.initial ? [] : block.bugs;
    } else if (s.klp.changelog && running?.[0] && system.packageVersion(running[0]) === activeVersion) {
      // Changelog of the installed package, which is the active one.
      cves = s.klp.changelog.cves;
      bugs = s.klp.changelog.bugs;
    }
  }

  let newerKernelInstalled: boolean | undefined;
  if (kernel && s.packages) {
    const isRunning = (p: { version: string; release: string }) => system.isRunningKernelPackage(kernel, p);
    const ref = s.packages.kernelPackages.find(isRunning) ?? { version: kernel.version, release: kernel.revision };
    newerKernelInstalled = s.packages.kernelPackages.some((k) => !isRunning(k) && compareVersionRelease(k, ref) > 0);
  }

  const available = s.repositories ? availablePatch(s.repositories, { version: activeVersion, cves }, system) : undefined;

  return { state, patchInfo, activeVersion, installedVersion, cves, bugs, newerKernelInstalled, available };
}

const evrKey = (p: { name: string; epoch: string; version: string; release: string }) => `${p.name}-${p.epoch}:${p.version}-${p.release}`;

/**
 * The newest live patch the repositories offer for the running kernel (the collector kept only
 * its package names and the host's architecture), by epoch then rpm's version order; packages of
 * a retracted advisory do not count; a tie goes to the repository the package manager prefers
 * (lower priority number, then alias). With it: its advisory, and the CVEs installing it adds to
 * the active patch: those of every advisory shipping a version above the active one up to the
 * newest (live patches are cumulative; zypper lists each of those advisories as needed).
 */
export function availablePatch(repos: OfferedUpdates, active: { readonly version: number | undefined; readonly cves: readonly string[] | undefined }, system: LivePatchSystem): AvailablePatch | undefined {
  if (repos.read === 0) return undefined;
  const retracted = new Set(repos.advisories.filter((a) => a.status === 'retracted').flatMap((a) => a.packages.map(evrKey)));
  let newest: Offer | undefined;
  for (const o of repos.offers) {
    if (retracted.has(evrKey(o.pkg))) continue;
    if (!newest) {
      newest = o;
      continue;
    }
    const c = Number(o.pkg.epoch) - Number(newest.pkg.epoch) || compareVersionRelease(o.pkg, newest.pkg);
    if (c > 0 || (c === 0 && (o.priority < newest.priority || (o.priority === newest.priority && o.repository < newest.repository)))) newest = o;
  }
  // "None offered" only when every enabled repository with metadata, and every definition, was read.
  if (!newest) return { newest: undefined, version: repos.failed > 0 || !repos.complete ? undefined : 0, advisory: undefined, cvesNew: undefined };
  const key = evrKey(newest.pkg);
  const current = repos.advisories.filter((a) => a.status !== 'retracted');
  const advisory = current.filter((a) => a.packages.some((p) => evrKey(p) === key)).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))[0];
  const version = system.packageVersion(newest.pkg);
  let cvesNew: number | undefined;
  if (advisory && active.cves && active.version !== undefined && version !== undefined) {
    const from = active.version;
    const shipsBetween = (a: Advisory) =>
      a.packages.some((p) => {
        const v = system.packageVersion(p);
        return v !== undefined && v > from && v <= version;
      });
    const fixed = new Set<string>(advisory.cves);
    for (const a of current) if (shipsBetween(a)) for (const c of a.cves) fixed.add(c);
    for (const c of active.cves) fixed.delete(c);
    cvesNew = fixed.size;
  }
  return { newest, version, advisory, cvesNew };
}

/** The fully applied patch (enabled, not in transition) with the highest known version. */
function pickActive(patches: readonly SysfsPatch[], versionOf: Map<string, number>): SysfsPatch | undefined {
  let best: SysfsPatch | undefined;
  for (const p of patches) {
    if (p.enabled !== 1 || p.transition !== 0 || !versionOf.has(p.name)) continue;
    if (!best || versionOf.get(p.name)! > versionOf.get(best.name)!) best = p;
  }
  return best;
}

/** Module name → the first package (highest version first) that ships it: one pass over the packages. */
function packagesByModule(packages: readonly RpmPackage[], system: LivePatchSystem): Map<string, RpmPackage> {
  const out = new Map<string, RpmPackage>();
  for (const p of packages) for (const m of system.moduleNamesOf(p)) if (!out.has(m)) out.set(m, p);
  return out;
}

/** The first item of each key, in one pass (what `find` would return for that key). */
function firstByKey<T>(items: readonly T[], key: (item: T) => string): Map<string, T> {
  const out = new Map<string, T>();
  for (const item of items) if (!out.has(key(item))) out.set(key(item), item);
  return out;
}
