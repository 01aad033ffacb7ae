// SUSE's package database: where it is, its fingerprint, and the one `rpm -qa` query for the
// live patch packages (kernel-livepatch-*, SLE 12: kgraft-patch-*) and the running flavor's
// kernel packages.

import type { CollectorContext } from '../../collectors/collector.js';
import { ExporterError } from '../../errors.js';
import { commandNotFound } from '../../host/commands.js';
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

/**
 * The files of an RPM database that change when packages change, for every backend: bdb
 * `Packages`, ndb `Packages.db` and `Index.db`, sqlite `rpmdb.sqlite` and its write-ahead log.
 * Never lock files or shared memory (bdb `__db.NNN`, sqlite `-shm`): readers write those, and
 * sqlite rewrites `rpmdb.sqlite-shm` even for a read-only `rpm -qa`, so a stamp that covered them
 * would change with every query the exporter itself runs.
 */
const RPMDB_CONTENT_FILES = ['Packages', 'Packages.db', 'Index.db', 'rpmdb.sqlite', 'rpmdb.sqlite-wal'];

/** Files no package change is needed to touch: locks, shared memory, bdb environment regions. */
const RPMDB_VOLATILE = /(^\.|\.lock$|-shm$|^__db\.\d+$)/;

/**
 * A cheap fingerprint of the RPM database: sizes, modification times and inodes of its content
 * files. A database of none of the known layouts: every file but the volatile ones.
 */
export function rpmDbStamp(ctx: CollectorContext): string {
  const rel = findRpmDb(ctx);
  if (rel === undefined) return 'none';
  const dir = rootfsPath(ctx.paths, rel);
  const names = listNames(dir);
  if (names === undefined) return `${rel}|unreadable`;
  const known = RPMDB_CONTENT_FILES.filter((n) => names.includes(n));
  const files = known.length > 0 ? known : names.filter((n) => !RPMDB_VOLATILE.test(n));
  return `${rel}|${files.map((n) => `${n}:${statStamp(`${dir}/${n}`) ?? ''}`).join('|')}`;
}

/** rpm's --root/--dbpath arguments for reading the host through a root path. */
export function rpmRootArgs(ctx: CollectorContext): string[] {
  if (ctx.paths.rootfs === '/') return [];
  const rel = findRpmDb(ctx);
  return ['--root', ctx.paths.rootfs, ...(rel ? ['--dbpath', `/${rel}`] : [])];
}

export async function installedPackages(ctx: CollectorContext, flavor: string | undefined): Promise<PackagesData> {
  if (!ctx.commands.rpm) throw commandNotFound('rpm', ctx.config.exec.path, 'cannot read installed packages');
  // `rpm --root` with no database there prints nothing and exits 0: that is no answer, not "no packages".
  if (findRpmDb(ctx) === undefined) throw new ExporterError(`no RPM database (looked for ${RPMDB_DIRS.map((d) => `/${d}`).join(' and ')})`);
  const kernelPackage = flavor && SAFE_FLAVOR.test(flavor) ? `kernel-${flavor}` : undefined;
  const args = [...rpmRootArgs(ctx), '-qa', '--qf', RPM_QUERY_FORMAT, ...LIVEPATCH_GLOBS, ...(kernelPackage ? [kernelPackage] : [])];
  const result = requireSuccess(await ctx.run('rpm', args));
  const all = parseRpmQuery(result.stdout, result.command);
  return {
    livepatchPackages: all.filter((p) => parseLivepatchPackageName(p.name) !== undefined),
    kernelPackages: all.filter((p) => p.name === kernelPackage),
  };
}
