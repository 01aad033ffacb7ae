// kernel collector: the running kernel release and the OS it belongs to.

import { isNotFound } from '../errors.js';
import { readHostFile, readOptionalHostFile } from '../host/files.js';
import { hostView, procPath, rootfsPath } from '../host/paths.js';
import { parseKernelRelease, parseOsRelease, parseProcVersion, type KernelRelease, type OsRelease } from '../parsers/kernel.js';
import type { CollectorContext } from './types.js';

export interface KernelData {
  readonly kernel: KernelRelease;
  readonly os: OsRelease | undefined;
}

export async function collectKernel(ctx: CollectorContext): Promise<KernelData> {
  const kernel = await readKernelRelease(ctx);
  let os: OsRelease | undefined;
  try {
    os = await readOsRelease(ctx);
    if (!os) ctx.problem('no os-release file (/etc/os-release, /usr/lib/os-release)');
  } catch (err) {
    ctx.problem(err instanceof Error ? err.message : String(err));
  }
  return { kernel, os };
}

async function readKernelRelease(ctx: CollectorContext): Promise<KernelRelease> {
  const osrelease = procPath(ctx.paths, 'sys/kernel/osrelease');
  try {
    return parseKernelRelease(await readHostFile(osrelease), hostView(ctx.paths, osrelease));
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  const version = procPath(ctx.paths, 'version');
  return parseProcVersion(await readHostFile(version), hostView(ctx.paths, version));
}

async function readOsRelease(ctx: CollectorContext): Promise<OsRelease | undefined> {
  for (const rel of ['etc/os-release', 'usr/lib/os-release']) {
    const p = rootfsPath(ctx.paths, rel);
    const text = await readOptionalHostFile(p);
    if (text !== undefined) return parseOsRelease(text, hostView(ctx.paths, p));
  }
  return undefined;
}
