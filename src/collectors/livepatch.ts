// livepatch collector: /sys/kernel/livepatch/<patch>/{enabled,transition,replace,stack_order,<object>/patched}.
// Read fresh on every scrape; only world-readable attributes are read (never force or signal).

import { FileReadError, isNotFound } from '../errors.js';
import { listSubdirectories, readHostFile } from '../host/files.js';
import { hostView, sysPath } from '../host/paths.js';
import { parseSysfsFlag, parseSysfsInteger } from '../parsers/sysfs.js';
import type { CollectorContext } from './types.js';

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

export async function collectLivepatch(ctx: CollectorContext): Promise<LivepatchData> {
  const root = sysPath(ctx.paths, 'kernel/livepatch');
  const names = await listSubdirectories(root);
  if (names === undefined) {
    // Tell "no livepatch support" apart from "sysfs is not where we were told".
    if ((await listSubdirectories(sysPath(ctx.paths, 'kernel'))) === undefined) {
      throw new FileReadError(hostView(ctx.paths, sysPath(ctx.paths, 'kernel')), 'no such directory: is sysfs mounted at --path.sysfs?', 'ENOENT');
    }
    return { supported: false, patches: [] };
  }
  const patches: SysfsPatch[] = [];
  for (const name of names) {
    const patch = await readPatch(ctx, root, name);
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
async function readPatch(ctx: CollectorContext, root: string, name: string, attempt = 1): Promise<SysfsPatch | undefined> {
  const dir = `${root}/${name}`;
  const problems: string[] = [];
  const { patch, vanished } = await readPatchOnce({ ...ctx, problem: (m) => void problems.push(m) }, dir, name);
  if (vanished) {
    if ((await listSubdirectories(dir)) === undefined) return undefined;
    if (attempt < PATCH_READ_ATTEMPTS) return readPatch(ctx, root, name, attempt + 1);
    problems.push(`${hostView(ctx.paths, dir)}: enabled or transition missing`);
  }
  for (const m of problems) ctx.problem(m);
  return patch;
}

async function readPatchOnce(ctx: CollectorContext, dir: string, name: string): Promise<{ patch: SysfsPatch; vanished: boolean }> {
  let vanished = false;
  const attr = async <T>(file: string, parse: (text: string, source: string) => T, optional: boolean): Promise<T | undefined> => {
    const p = `${dir}/${file}`;
    try {
      return parse(await readHostFile(p), hostView(ctx.paths, p));
    } catch (err) {
      if (isNotFound(err)) {
        if (!optional) vanished = true;
        return undefined;
      }
      ctx.problem(err instanceof Error ? err.message : String(err));
      return undefined;
    }
  };
  const enabled = await attr('enabled', parseSysfsFlag, false);
  const transition = await attr('transition', parseSysfsFlag, false);
  const replace = await attr('replace', parseSysfsFlag, true);
  const stackOrder = await attr('stack_order', parseSysfsInteger, true);
  const objects: Array<{ name: string; patched: 0 | 1 | undefined }> = [];
  for (const obj of (await listSubdirectories(dir).catch(() => undefined)) ?? []) {
    objects.push({ name: obj, patched: await attr(`${obj}/patched`, parseSysfsFlag, true) });
  }
  return { patch: { name, enabled, transition, replace, stackOrder, objects }, vanished };
}
