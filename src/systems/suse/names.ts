// SUSE's naming of live patch packages and modules, and the `KLP:` trailers of their changelogs.
//
// Package: kernel-livepatch-<kernel version>-<kernel revision>-<flavor> (SLE 12: kgraft-patch-…),
// dots as "_", e.g. kernel-livepatch-6_4_0-150600_23_25-default; its VERSION counts the patches
// for that kernel (1 = initial patch). Module (sysfs name): livepatch_<VERSION>_<RELEASE>.

import type { KernelRelease } from '../../parsers/kernel.js';

export interface LivepatchPackageName {
  /** "kernel-livepatch" (SLE 15+) or "kgraft-patch" (SLE 12). */
  readonly prefix: string;
  /** Kernel version with dots, e.g. "6.4.0". */
  readonly kernelVersion: string;
  /** Kernel revision with dots, e.g. "150600.23.25". */
  readonly kernelRevision: string;
  readonly flavor: string;
}

const LIVEPATCH_NAME = /^(kernel-livepatch|kgraft-patch)-(\d+(?:_\d+)+)-(\d+(?:_\d+)*)-([a-z][a-z0-9_]*)$/;

/**
 * Split a live patch package name (kernel-livepatch-6_4_0-150600_23_25-default). Other packages
 * matching the same globs (kernel-livepatch-tools, -debuginfo, -debugsource, -devel) give undefined.
 */
export function parseLivepatchPackageName(name: string): LivepatchPackageName | undefined {
  const m = LIVEPATCH_NAME.exec(name);
  if (!m) return undefined;
  const flavor = m[4]!;
  if (/^(debuginfo|debugsource|devel)$/.test(flavor)) return undefined;
  return { prefix: m[1]!, kernelVersion: m[2]!.replace(/_/g, '.'), kernelRevision: m[3]!.replace(/_/g, '.'), flavor };
}

/** The live patch package names that belong to a running kernel (SLE 15+ first, then SLE 12). */
export function livepatchPackageNamesFor(kernel: KernelRelease): string[] {
  if (!kernel.revision || !kernel.flavor) return [];
  const kver = `${kernel.version}-${kernel.revision}`.replace(/\./g, '_');
  return ['kernel-livepatch', 'kgraft-patch'].map((p) => `${p}-${kver}-${kernel.flavor}`);
}

/**
 * The sysfs / module names a live patch package's module gets: livepatch_<VERSION>_<RELEASE with
 * "." → "_"> (SUSE spec file); SLE 12 kGraft-era packages may use a kgraft_patch_ prefix.
 */
export function moduleNamesFor(pkg: { version: string; release: string }): string[] {
  const num = `${pkg.version}_${pkg.release}`.replace(/[.-]/g, '_');
  return [`livepatch_${num}`, `kgraft_patch_${num}`];
}

/** VERSION and RELEASE encoded in a SUSE module name (livepatch_3_150600_13_9_1), if it has that shape. */
export function parseSuseModuleName(module: string): { version: number; release: string } | undefined {
  const m = /^(?:livepatch|kgraft_patch)_(\d+)_(\d+(?:_\d+)*)$/.exec(module);
  if (!m) return undefined;
  return { version: Number(m[1]), release: m[2]!.replace(/_/g, '.') };
}

/** CVE and bug ids of the `KLP:` trailers in `rpm -q --changelog` of a live patch package. */
export function parseKlpChangelog(text: string): { cves: string[]; bugs: string[] } {
  const cves = new Set<string>();
  const bugs = new Set<string>();
  for (const raw of text.split('\n')) {
    const m = /^\s*KLP:\s*(.*)$/.exec(raw.replace(/\r$/, ''));
    if (!m) continue;
    for (const token of m[1]!.split(/[\s,]+/)) {
      if (/^CVE-\d{4}-\d{4,}$/.test(token)) cves.add(token);
      else if (/^[a-z]{2,4}#\d{1,10}$/i.test(token)) bugs.add(token.toLowerCase());
    }
  }
  return { cves: [...cves].sort(), bugs: [...bugs].sort() };
}

/** Whether kernel package `p` is the running kernel (release = revision plus a rebuild counter). */
export function isRunningKernelPackage(kernel: KernelRelease, p: { readonly version: string; readonly release: string }): boolean {
  return p.version === kernel.version && (p.release === kernel.revision || p.release.startsWith(`${kernel.revision}.`));
}
