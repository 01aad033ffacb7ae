// packages collector: installed live patch packages and the running flavor's kernel packages,
// from one `rpm -qa --qf` call. Cached until the RPM database changes.

import { promises as fs } from 'node:fs';
import { ExporterError } from '../errors.js';
import { requireSuccess } from '../host/exec.js';
import { rootfsPath } from '../host/paths.js';
import { parseLivepatchPackageName, parseRpmQuery, RPM_QUERY_FORMAT, type RpmPackage } from '../parsers/rpm.js';
import type { CollectorContext } from './types.js';

export interface PackagesData {
  /** Installed live patch packages (kernel-livepatch-*, kgraft-patch-*), all kernels. */
  readonly livepatch: readonly RpmPackage[];
  /** Installed kernel-<flavor> packages of the running flavor. */
  readonly kernels: readonly RpmPackage[];
}

/** RPM database locations, newest layout first (SLE 15 SP3+ and SLES 16, then SLE 12). */
const RPMDB_DIRS = ['usr/lib/sysimage/rpm', 'var/lib/rpm'];

/** Flavors we pass to rpm as part of a package name; anything else is not queried. */
const SAFE_FLAVOR = /^[a-z0-9][a-z0-9_-]{0,40}$/;

/** The host's RPM database directory (relative to the root), if there is one. */
export async function findRpmDb(ctx: CollectorContext): Promise<string | undefined> {
  for (const rel of RPMDB_DIRS) {
    try {
      if ((await fs.stat(rootfsPath(ctx.paths, rel))).isDirectory()) return rel;
    } catch {
      // try the next
    }
  }
  return undefined;
}

/** A cheap fingerprint of the RPM database: names, sizes and modification times of its files. */
export async function rpmDbStamp(ctx: CollectorContext): Promise<string> {
  const rel = await findRpmDb(ctx);
  if (rel === undefined) return 'none';
  const dir = rootfsPath(ctx.paths, rel);
  try {
    const names = (await fs.readdir(dir)).sort();
    const parts = await Promise.all(
      names.map(async (n) => {
        const st = await fs.stat(`${dir}/${n}`).catch(() => undefined);
        return st ? `${n}:${st.size}:${st.mtimeMs}` : n;
      }),
    );
    return `${rel}|${parts.join('|')}`;
  } catch {
    return `${rel}|unreadable`;
  }
}

/** rpm's --root/--dbpath arguments for reading the host through a root path. */
export async function rpmRootArgs(ctx: CollectorContext): Promise<string[]> {
  if (ctx.paths.rootfs === '/') return [];
  const rel = await findRpmDb(ctx);
  return ['--root', ctx.paths.rootfs, ...(rel ? ['--dbpath', `/${rel}`] : [])];
}

export async function collectPackages(ctx: CollectorContext, flavor: string | undefined): Promise<PackagesData> {
  if (!ctx.commands.rpm) throw new ExporterError('rpm not found on PATH: cannot read installed packages');
  const kernelPackage = flavor && SAFE_FLAVOR.test(flavor) ? `kernel-${flavor}` : undefined;
  const args = [...(await rpmRootArgs(ctx)), '-qa', '--qf', RPM_QUERY_FORMAT, 'kernel-livepatch-*', 'kgraft-patch-*', ...(kernelPackage ? [kernelPackage] : [])];
  const result = requireSuccess(await ctx.run('rpm', args));
  const all = parseRpmQuery(result.stdout, result.command);
  return {
    livepatch: all.filter((p) => parseLivepatchPackageName(p.name) !== undefined),
    kernels: all.filter((p) => p.name === kernelPackage),
  };
}
