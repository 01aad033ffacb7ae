// livepatch collector: /sys/kernel/livepatch/<patch>/{enabled,transition,replace,stack_order,<object>/patched}.
// Read fresh on every scrape; only world-readable attributes are read (never force or signal).

import { FileReadError, isNotFound } from '../errors.js';
import { listDirectory, listSubdirectories, listSubdirectoryNames, readHostFile } from '../host/files.js';
import { hostView, sysPath } from '../host/paths.js';
import { parseSysfsFlag, parseSysfsInteger } from '../parsers/sysfs.js';
import type { CollectorContext, DirectCollector } from './collector.js';

export interface SysfsPatch {
  readonly name: string;
  readonly enabled: 0 | 1 | undefined;
  readonly transition: 0 | 1 | undefined;
  /** Kernel 6.11+ only. */
  readonly replace: 0 | 1 | undefined;
  /** Kernel 6.13+ only. */
  readonly stackOrder: number | undefined;
  /** Per patched object (vmlinux or a module): patched 0/1 on kernels 6.0+. */
  readonly objects: ReadonlyArray<{ readonly name: string; readonly patched: 0 | 1 | undefined }>;
}

export interface LivepatchData {
  /** /sys/kernel/livepatch exists (kernel built with CONFIG_LIVEPATCH). */
  readonly supported: boolean;
  readonly patches: readonly SysfsPatch[];
}

export const livepatch: DirectCollector<'livepatch'> = {
  kind: 'direct',
  name: 'livepatch',
  help: 'live patches loaded in the kernel (/sys/kernel/livepatch), read on every scrape',
  enabledByDefault: true,
  collect: collectLivepatch,
};

function collectLivepatch(ctx: CollectorContext): LivepatchData {
  const root = sysPath(ctx.paths, 'kernel/livepatch');
  const listing = listSubdirectoryNames(root);
  if (listing === undefined) {
    // Tell "no livepatch support" apart from "sysfs is not where we were told".
    if (listSubdirectories(sysPath(ctx.paths, 'kernel')) === undefined) {
      throw new FileReadError(sysPath(ctx.paths, 'kernel'), 'no such directory: is sysfs mounted at --path.sysfs?', 'ENOENT');
    }
    return { supported: false, patches: [] };
  }
  // A name that is not valid UTF-8 cannot be a label value nor a path we could read back: never
  // dropped unseen, it is a problem of the collector (success 0), named with its bytes escaped.
  for (const name of listing.undecodable) ctx.problem(`${hostView(ctx.paths, root)}: patch directory name is not valid UTF-8: ${name}`);
  const patches: SysfsPatch[] = [];
  for (const name of listing.names) {
    const patch = readPatch(ctx, root, name);
    if (patch) patches.push(patch);
  }
  return { supported: true, patches };
}

/** Attempts at reading one patch directory whose files vanish and come back while we read. */
const PATCH_READ_ATTEMPTS = 3;

/**
 * One patch directory; undefined when it vanished while we read it (patch removed meanwhile).
 * When enabled or transition is missing but the directory is there again (removed and loaded
 * again between two reads), it is read again from the start, and only reported after that.
 */
function readPatch(ctx: CollectorContext, root: string, name: string, attempt = 1): SysfsPatch | undefined {
  const dir = `${root}/${name}`;
  const problems: string[] = [];
  const { patch, vanished } = readPatchOnce({ ...ctx, problem: (m) => void problems.push(m) }, dir, name);
  if (vanished) {
    if (listSubdirectories(dir) === undefined) return undefined;
    if (attempt < PATCH_READ_ATTEMPTS) return readPatch(ctx, root, name, attempt + 1);
    problems.push(`${hostView(ctx.paths, dir)}: enabled or transition missing`);
  }
  for (const m of problems) ctx.problem(m);
  return patch;
}

function readPatchOnce(ctx: CollectorContext, dir: string, name: string): { patch: SysfsPatch; vanished: boolean } {
  let vanished = false;
  // Listing first tells which optional attributes this kernel has, so that an absent one costs
  // no failed open (and no error object) on every scrape.
  const listing = listDirectory(dir);
  const attr = <T>(file: string, present: boolean, parse: (text: string, source: string) => T, optional: boolean): T | undefined => {
    const p = `${dir}/${file}`;
    try {
      if (present) return parse(readHostFile(p), hostView(ctx.paths, p));
    } catch (err) {
      if (!isNotFound(err)) {
        ctx.problem(err instanceof Error ? err.message : String(err));
        return undefined;
      }
    }
    if (!optional) vanished = true;
    return undefined;
  };
  // Whatever is there under the name is read, so that a directory or FIFO in its place is reported.
  const has = (file: string) => listing?.names.has(file) ?? false;
  const enabled = attr('enabled', has('enabled'), parseSysfsFlag, false);
  const transition = attr('transition', has('transition'), parseSysfsFlag, false);
  const replace = attr('replace', has('replace'), parseSysfsFlag, true);
  const stackOrder = attr('stack_order', has('stack_order'), parseSysfsInteger, true);
  const objects: Array<{ name: string; patched: 0 | 1 | undefined }> = [];
  for (const obj of listing?.dirs ?? []) {
    const objectNames = listDirectoryOrNone(`${dir}/${obj}`);
    objects.push({ name: obj, patched: attr(`${obj}/patched`, objectNames.has('patched'), parseSysfsFlag, true) });
  }
  return { patch: { name, enabled, transition, replace, stackOrder, objects }, vanished };
}

/** The entry names of a directory; none when it cannot be listed (the patch vanished meanwhile). */
function listDirectoryOrNone(dir: string): Set<string> {
  try {
    return listDirectory(dir)?.names ?? new Set();
  } catch {
    return new Set();
  }
}
