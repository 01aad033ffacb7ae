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

/**
 * The host path as the host sees it (root prefix removed), for logs and labels. A path outside the
 * root (a --path.sysfs given elsewhere) stays as it is.
 */
export function hostView(paths: HostPaths, p: string): string {
  if (paths.rootfs === '/') return p;
  if (p === paths.rootfs) return '/';
  return p.startsWith(`${paths.rootfs}/`) ? p.slice(paths.rootfs.length) : p;
}

/**
 * A message (an error, a command's stderr) as the host sees it: every path under the root named
 * without the root, at a path boundary, as hostView names one path. The scraper passes every
 * problem it reports through it, so all collectors name files alike whoever built the message (the
 * root path is said once, at start-up).
 */
export function hostMessage(paths: HostPaths, message: string): string {
  if (paths.rootfs === '/' || !message.includes(paths.rootfs)) return message;
  return message.replace(rootPattern(paths.rootfs), '$1/');
}

const rootPatterns = new Map<string, RegExp>();

/** The root path where a path starts (not inside a longer name) and ends (a "/" or not a name character). */
function rootPattern(rootfs: string): RegExp {
  let re = rootPatterns.get(rootfs);
  if (!re) {
    const escaped = rootfs.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    re = new RegExp(`(^|[^\\w./~-])${escaped}(?:/|(?=[^\\w.~-])|$)`, 'g');
    if (rootPatterns.size < 16) rootPatterns.set(rootfs, re);
  }
  re.lastIndex = 0;
  return re;
}
