// Host paths. Every file the exporter reads goes through one of these helpers, so that the
// exporter can read a host mounted under a root path (a container) or a fixture tree (tests).

import { AsyncLocalStorage } from 'node:async_hooks';
import path from 'node:path';

export interface HostPaths {
  /** Root of the host file system, "/" on the host itself. */
  readonly rootfs: string;
  /** sysfs mount point (already joined under rootfs when a root path is set). */
  readonly sysfs: string;
  /** procfs mount point (already joined under rootfs when a root path is set). */
  readonly procfs: string;
}

/**
 * Resolve the configured paths. As in node_exporter, --path.sysfs and --path.procfs are taken as
 * they are; when only --path.rootfs is set and the other two keep their defaults, they are joined
 * under the root path ("/host" + "/sys").
 */
export function resolveHostPaths(opts: { rootfs: string; sysfs: string; procfs: string }): HostPaths {
  const rootfs = path.resolve(opts.rootfs);
  const under = (p: string, def: string) => (rootfs !== '/' && p === def ? path.join(rootfs, def) : path.resolve(p));
  return { rootfs, sysfs: under(opts.sysfs, '/sys'), procfs: under(opts.procfs, '/proc') };
}

/** A path inside the host root file system, e.g. rootfsPath(p, 'etc/os-release'). */
export function rootfsPath(paths: HostPaths, ...parts: string[]): string {
  return path.join(paths.rootfs, ...parts);
}

/** A path inside sysfs, e.g. sysPath(p, 'kernel/livepatch'). */
export function sysPath(paths: HostPaths, ...parts: string[]): string {
  return path.join(paths.sysfs, ...parts);
}

/** A path inside procfs, e.g. procPath(p, 'sys/kernel/tainted'). */
export function procPath(paths: HostPaths, ...parts: string[]): string {
  return path.join(paths.procfs, ...parts);
}

/**
 * The host path as the host sees it (root prefix removed), for logs and labels. A path outside the
 * root (a --path.sysfs given elsewhere) stays as it is.
 */
export function hostView(paths: HostPaths, p: string): string {
  if (paths.rootfs === '/') return p;
  if (p === paths.rootfs) return '/';
  return p.startsWith(`${paths.rootfs}/`) ? p.slice(paths.rootfs.length) : p;
}

/** The host being read: set by the scraper around a collection, so every error names files alike. */
const reading = new AsyncLocalStorage<HostPaths>();

/** Run `fn` (and whatever it awaits) reading the host at `paths`: see shownPath. */
export function withHostPaths<T>(paths: HostPaths, fn: () => T): T {
  return reading.run(paths, fn);
}

/**
 * A file's path as errors name it: inside the host (hostView) while a host is being read, so that
 * every collector names a file the same way, as the host sees it (the root path is logged once, at
 * start-up); as given elsewhere.
 */
export function shownPath(p: string): string {
  const paths = reading.getStore();
  return paths === undefined ? p : hostView(paths, p);
}
