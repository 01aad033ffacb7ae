// From what the collectors read to what the metrics say: which patch is active, which package it
// came from, what is installed, which CVEs are covered. Pure functions of a Snapshot.

import type { KernelRelease } from '../parsers/kernel.js';
import type { KlpPatch } from '../parsers/klp.js';
import { compareVersionRelease, livepatchPackageNamesFor, moduleNamesFor, parseLivepatchPackageName, parseSuseModuleName, type RpmPackage } from '../parsers/rpm.js';
import type { PackagesData } from '../collectors/packages.js';
import type { Offer, RepositoriesData } from '../collectors/repositories.js';
import type { Advisory } from '../parsers/rpm-md.js';
import type { SysfsPatch } from '../collectors/livepatch.js';
import type { Snapshot } from './snapshot.js';

export type LivepatchState = 'patched' | 'transition' | 'unpatched' | 'unsupported';
export const LIVEPATCH_STATES: readonly LivepatchState[] = ['patched', 'transition', 'unpatched', 'unsupported'];

export interface PatchInfo {
  readonly patch: string;
  readonly package: string;
  readonly version: string;
  readonly release: string;
}

export interface Derived {
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
  /** CVEs the advisory fixes that the active live patch does not; undefined when either is unknown. */
  readonly cvesNew: number | undefined;
}

/** The running kernel's live patch packages (any of its names), highest version first. */
export function runningLivepatchPackages(kernel: KernelRelease, packages: PackagesData): RpmPackage[] {
  const names = livepatchPackageNamesFor(kernel);
  return packages.livepatch.filter((p) => names.includes(p.name)).sort((a, b) => compareVersionRelease(b, a));
}

/** Whether kernel package `p` is the running kernel (release = revision plus a rebuild counter). */
function isRunningKernelPackage(kernel: KernelRelease, p: RpmPackage): boolean {
  return p.version === kernel.version && (p.release === kernel.revision || p.release.startsWith(`${kernel.revision}.`));
}

/** The running kernel's own kernel-<flavor> package, if installed. */
export function runningKernelPackage(kernel: KernelRelease, packages: PackagesData): RpmPackage | undefined {
  return packages.kernels.find((p) => isRunningKernelPackage(kernel, p));
}

export function derive(s: Snapshot): Derived {
  const kernel = s.kernel?.kernel;
  const lp = s.livepatch;
  const running = kernel && s.packages ? runningLivepatchPackages(kernel, s.packages) : undefined;

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

  // Map each loaded patch to its package: the installed package whose module name it carries,
  // else the RPM that klp names for it. Never from the module name alone.
  const patchInfo: PatchInfo[] = [];
  const versionOf = new Map<string, number>();
  for (const patch of lp?.patches ?? []) {
    const pkg = running?.find((p) => moduleNamesFor(p).includes(patch.name));
    const fromKlp = s.klp?.patches.find((k) => k.module === patch.name)?.rpm;
    const info = pkg ?? (fromKlp && parseLivepatchPackageName(fromKlp.name) ? fromKlp : undefined);
    if (info) patchInfo.push({ patch: patch.name, package: info.name, version: info.version, release: info.release });
    // A loaded SUSE module is built for the running kernel, so its VERSION is the running
    // kernel's live patch version even when the package was already upgraded away.
    const v = info ? integer(info.version) : parseSuseModuleName(patch.name)?.version;
    if (v !== undefined) versionOf.set(patch.name, v);
  }

  const activePatch = lp ? pickActive(lp.patches, versionOf) : undefined;
  // Unknown as well when a patch of unknown state could be the active one (a higher version).
  const undecided = lp?.patches.some(
    (p) => (p.enabled === undefined || p.transition === undefined) && versionOf.has(p.name) && (!activePatch || versionOf.get(p.name)! > versionOf.get(activePatch.name)!),
  );
  const activeVersion = lp && !undecided ? (activePatch ? versionOf.get(activePatch.name)! : 0) : undefined;
  const installedVersion = running ? Math.max(0, ...running.map((p) => integer(p.version) ?? 0)) : undefined;

  let cves: readonly string[] | undefined;
  let bugs: readonly string[] | undefined;
  if (activeVersion === 0) {
    cves = [];
    bugs = [];
  } else if (activeVersion !== undefined && activePatch && s.klp) {
    const block = findKlpBlock(s.klp.patches, activePatch.name);
    if (block) {
      cves = block.initial ? [] : block.cves;
      bugs = block.initial ? [] : block.bugs;
    } else if (s.klp.changelog && running?.[0] && integer(running[0].version) === activeVersion) {
      // Changelog of the installed package, which is the active one.
      cves = s.klp.changelog.cves;
      bugs = s.klp.changelog.bugs;
    }
  }

  let newerKernelInstalled: boolean | undefined;
  if (kernel && s.packages) {
    const ref = runningKernelPackage(kernel, s.packages) ?? { version: kernel.version, release: kernel.revision };
    newerKernelInstalled = s.packages.kernels.some((k) => !isRunningKernelPackage(kernel, k) && compareVersionRelease(k, ref) > 0);
  }

  const available = kernel && s.repositories ? availablePatch(kernel, s.repositories, cves) : undefined;

  return { state, patchInfo, activeVersion, installedVersion, cves, bugs, newerKernelInstalled, available };
}

const evrKey = (p: { name: string; epoch: string; version: string; release: string }) => `${p.name}-${p.epoch}:${p.version}-${p.release}`;

/**
 * The newest live patch the repositories offer for the running kernel (rpm's version order;
 * packages of a retracted advisory do not count; a tie goes to the repository libzypp prefers:
 * lower priority number, then alias), its advisory and the CVEs it adds.
 */
export function availablePatch(kernel: KernelRelease, repos: RepositoriesData, activeCves: readonly string[] | undefined): AvailablePatch | undefined {
  if (repos.read === 0) return undefined;
  const names = livepatchPackageNamesFor(kernel);
  const retracted = new Set(repos.advisories.filter((a) => a.status === 'retracted').flatMap((a) => a.packages.map(evrKey)));
  let newest: Offer | undefined;
  for (const o of repos.offers) {
    if (!names.includes(o.pkg.name) || retracted.has(evrKey(o.pkg))) continue;
    if (!newest) {
      newest = o;
      continue;
    }
    const c = Number(o.pkg.epoch) - Number(newest.pkg.epoch) || compareVersionRelease(o.pkg, newest.pkg);
    if (c > 0 || (c === 0 && (o.priority < newest.priority || (o.priority === newest.priority && o.repository < newest.repository)))) newest = o;
  }
  // "None offered" only when every enabled repository with metadata was read.
  if (!newest) return { newest: undefined, version: repos.failed > 0 || !repos.complete ? undefined : 0, advisory: undefined, cvesNew: undefined };
  const key = evrKey(newest.pkg);
  const advisory = repos.advisories
    .filter((a) => a.status !== 'retracted' && a.packages.some((p) => evrKey(p) === key))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))[0];
  const cvesNew = advisory && activeCves ? advisory.cves.filter((c) => !activeCves.includes(c)).length : undefined;
  return { newest, version: integer(newest.pkg.version), advisory, cvesNew };
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

function findKlpBlock(blocks: readonly KlpPatch[], module: string): KlpPatch | undefined {
  return blocks.find((b) => b.module === module);
}

function integer(text: string): number | undefined {
  return /^\d{1,9}$/.test(text) ? Number(text) : undefined;
}
