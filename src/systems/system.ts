// A live patch system: what one vendor's way of live patching looks like on a host — how its
// packages and modules are named, how to ask the package database, which tools describe the
// loaded patches, and where the end of support comes from. The collectors and the status are
// generic and ask the system; SUSE's is in ./suse/. Another vendor's (kpatch, Canonical
// Livepatch) would be one more folder beside it, chosen in ./index.ts.

import type { CollectorContext } from '../collectors/collector.js';
import type { KernelRelease } from '../parsers/kernel.js';
import type { RpmPackage } from '../parsers/rpm.js';
import type { Advisory, OfferedPackage } from '../parsers/rpm-md.js';

/** Installed packages that matter to live patching. */
export interface PackagesData {
  /** Installed live patch packages, for every kernel. */
  readonly livepatchPackages: readonly RpmPackage[];
  /** Installed kernel packages of the running flavor. */
  readonly kernelPackages: readonly RpmPackage[];
}

/** A loaded patch as the vendor's tool describes it. */
export interface PatchDescription {
  /** Module name as in /sys/kernel/livepatch. */
  readonly module: string;
  /** The package the tool names for it, when it names a well-formed one. */
  readonly rpm: { readonly name: string; readonly version: string; readonly release: string } | undefined;
  readonly cves: readonly string[];
  readonly bugs: readonly string[];
  /** An initial patch: it fixes nothing yet. */
  readonly initial: boolean;
}

/** What the vendor's tools say about the loaded patches (the klp collector). */
export interface PatchDetails {
  /** The tool used, or undefined when none is installed. */
  readonly tool: string | undefined;
  /** Whether the tool reports a transition in progress (cross-checked against sysfs). */
  readonly inTransition: boolean | undefined;
  readonly patches: readonly PatchDescription[];
  /** Without the tool: CVEs and bugs of the installed live patch package, by package NVR. */
  readonly changelog: { readonly nvr: string; readonly cves: readonly string[]; readonly bugs: readonly string[] } | undefined;
}

/** When live patch support for the running kernel ends, and which source said so. */
export interface Expiry {
  /** Unix milliseconds. */
  readonly atMs: number;
  readonly source: string;
  /** Support has ended, date unknown (zypper's "Now"): atMs is when that was seen, never later than now. */
  readonly ended?: true;
}

/** What the expiry of the running kernel's live patches is decided from. */
export interface ExpiryQuestion {
  readonly kernel: KernelRelease;
  /** The running kernel's installed live patch package (highest version), if any. */
  readonly installed: RpmPackage | undefined;
  /** The running kernel's own package, if found. */
  readonly kernelPackage: RpmPackage | undefined;
}

/** An enabled package repository, as the update check sees it. */
export interface RepositoryState {
  /** The repository's alias (never its URL: URLs may carry access tokens). */
  readonly alias: string;
  /** Whether the package manager refreshes it by itself before use. */
  readonly autorefresh: boolean;
  /** Unix ms of its last refresh; undefined: no cached metadata, or unreadable. */
  readonly refreshedMs: number | undefined;
}

/** A live patch package for the running kernel that a repository offers. */
export interface Offer {
  readonly pkg: OfferedPackage;
  readonly repository: string;
  /** The repository's priority (lower wins). */
  readonly priority: number;
}

/** What the enabled repositories offer for the running kernel (the repositories collector). */
export interface OfferedUpdates {
  /** Enabled repositories, in alias order (at most the number the system reads). */
  readonly repositories: readonly RepositoryState[];
  /** Enabled repositories beyond that number: not read, no series of their own. */
  readonly ignored: number;
  /** Number of enabled repositories whose metadata was read. */
  readonly read: number;
  /** Number of enabled repositories with cached metadata that could not be read. */
  readonly failed: number;
  /** Whether every repository definition was read (else the list of repositories may lack some). */
  readonly complete: boolean;
  /** The running kernel's live patch packages they offer. */
  readonly offers: readonly Offer[];
  /** Advisories shipping one of those packages. */
  readonly advisories: readonly Advisory[];
  /** Where the offers come from: the metadata cache, or the package manager's own search (fallback). */
  readonly source: 'cache' | 'zypper';
}

export interface LivePatchSystem {
  readonly name: string;
  /** Commands it may run, looked up once at start-up (klp_exporter_command_available{command}). */
  readonly commands: readonly string[];
  /** Expiry sources, in order of preference (klp_patch_expiry_source{source}). */
  readonly expirySources: readonly string[];
  /** Default of --collector.lifecycle.fallback-months: support window after the kernel build time. */
  readonly supportWindowMonths: number;

  // --- packages (cached until packageDbStamp changes) ---
  /** A cheap fingerprint of the package database: it changes when packages do. */
  packageDbStamp(ctx: CollectorContext): string;
  /** Ask the package database (one command). */
  installedPackages(ctx: CollectorContext, kernelFlavor: string | undefined): Promise<PackagesData>;

  // --- naming: pure ---
  /** The running kernel's live patch packages, highest version first. */
  livepatchPackagesOf(kernel: KernelRelease, packages: PackagesData): RpmPackage[];
  /** Whether kernel package `p` is the running kernel. */
  isRunningKernelPackage(kernel: KernelRelease, p: { readonly version: string; readonly release: string }): boolean;
  /** The sysfs names the module of a live patch package gets. */
  moduleNamesOf(pkg: { readonly version: string; readonly release: string }): string[];
  /** The live patch version a module name encodes, if it has the vendor's shape. */
  moduleVersion(module: string): number | undefined;
  /** The live patch version of a package (1 = initial patch). */
  packageVersion(pkg: { readonly version: string }): number | undefined;
  /** Whether a package name is one of the vendor's live patch packages. */
  isLivepatchPackageName(name: string): boolean;

  // --- the vendor's tools (cached) ---
  describePatches(ctx: CollectorContext, running: RpmPackage | undefined): Promise<PatchDetails>;

  // --- end of support (cached) ---
  /** Everything the expiry depends on besides `question` (file stamps, throttled commands): the cache key. */
  expiryInputs(ctx: CollectorContext, question: ExpiryQuestion): unknown;
  expiry(ctx: CollectorContext, question: ExpiryQuestion): Promise<Expiry | undefined>;

  // --- updates offered by the package repositories (cached) ---
  /** Everything the offered updates for the running kernel depend on (repository definitions, metadata stamps): the cache key. */
  updatesInputs(ctx: CollectorContext, kernel: KernelRelease): unknown;
  /** The running kernel's live patch packages the enabled repositories offer, from what updatesInputs returned. */
  offeredUpdates(ctx: CollectorContext, inputs: unknown): Promise<OfferedUpdates>;
}
