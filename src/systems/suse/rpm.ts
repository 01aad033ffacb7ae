// SUSE's package database: where it is, its fingerprint, and the one `rpm -qa` query for the
// live patch packages (kernel-livepatch-*, SLE 12: kgraft-patch-*) and the running flavor's
// kernel packages.

import type { CollectorContext } from '../../collectors/collector.js';
import { ExporterError } from '../../errors.js';
import { requireSuccess } from '../../host/exec.js';
import { isDirectory, listNames, statStamp } from '../../host/files.js';
import { rootfsPath } from '../../host/paths.js';
import { parseRpmQuery, RPM_QUERY_FORMAT } from '../../parsers/rpm.js';
import type { PackagesData } from '../system.js';
import { parseLivepatchPackageName } from './names.js';

/** RPM database locations, newest layout first (SLE 15 SP3+ and SLES 16, then SLE 12). */
const RPMDB_DIRS = ['usr/lib/sysimage/rpm', 'var/lib/rpm'];

/** The globs of the live patch packages (SLE 15+, SLE 12). */
const LIVEPATCH_GLOBS = ['kernel-livepatch-*', 'kgraft-patch-*'];

/** Flavors we pass to rpm as part of a package name; anything else is not queried. */
const SAFE_FLAVOR = /^[a-z0-9][a-z0-9_-]{0,40}$/;

/** The host's RPM database directory (relative to the root), if there is one. */
function findRpmDb(ctx: CollectorContext): string | undefined {
  return RPMDB_DIRS.find((rel) => isDirectory(rootfsPath(ctx.paths, rel)));
}

/** A cheap fingerprint of the RPM database: names, sizes and modification times of its files. */
export function rpmDbStamp(ctx: CollectorContext): string {
  const rel = findRpmDb(ctx);
  if (rel === undefined) return 'none';
  const dir = rootfsPath(ctx.paths, rel);
  const names = listNames(dir);
  if (names === undefined) return `${rel}|unreadable`;
  return `${rel}|${names.map((n) => `${n}:${statStamp(`${dir}/${n}`) ?? ''}`).join('|')}`;
}

/** rpm's --root/--dbpath arguments for reading the host through a root path. */
export function rpmRootArgs(ctx: CollectorContext): string[] {
  if (ctx.paths.rootfs === '/') return [];
  const rel = findRpmDb(ctx);
  return ['--root', ctx.paths.rootfs, ...(rel ? ['--dbpath', `/${rel}`] : [])];
}

export async function installedPackages(ctx: CollectorContext, flavor: string | undefined): Promise<PackagesData> {
  if (!ctx.commands.rpm) throw new ExporterError('rpm not found on PATH: cannot read installed packages');
  const kernelPackage = flavor && SAFE_FLAVOR.test(flavor) ? `kernel-${flavor}` : undefined;
  const args = [...rpmRootArgs(ctx), '-qa', '--qf', RPM_QUERY_FORMAT, ...LIVEPATCH_GLOBS, ...(kernelPackage ? [kernelPackage] : [])];
  const result = requireSuccess(await ctx.run('rpm', args));
  const all = parseRpmQuery(result.stdout, result.command);
  return {
    livepatchPackages: all.filter((p) => parseLivepatchPackageName(p.name) !== undefined),
    kernelPackages: all.filter((p) => p.name === kernelPackage),
  };
}
