// Host paths. Every file the exporter reads goes through one of these helpers, so that the
// exporter can read a host mounted under a root path (a container) or a fixture tree (tests).

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

/** The host path as the host sees it (root prefix removed), for logs and labels. */
export function hostView(paths: HostPaths, p: string): string {
  if (paths.rootfs === '/' || !p.startsWith(paths.rootfs)) return p;
  const rest = p.slice(paths.rootfs.length);
  return rest.startsWith('/') ? rest : `/${rest}`;
}
