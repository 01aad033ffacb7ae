// kernel collector: the running kernel release and the OS it belongs to.

import { isNotFound } from '../errors.js';
import { readHostFile, readOptionalHostFile } from '../host/files.js';
import { hostView, procPath, rootfsPath } from '../host/paths.js';
import { parseKernelRelease, parseOsRelease, parseProcVersion, type KernelRelease, type OsRelease } from '../parsers/kernel.js';
import type { CollectorContext, DirectCollector } from './collector.js';

export interface KernelData {
  /** The running kernel's release. */
  readonly running: KernelRelease;
  readonly os: OsRelease | undefined;
}

export const kernel: DirectCollector<'kernel'> = {
  kind: 'direct',
  name: 'kernel',
  help: 'running kernel release (procfs) and /etc/os-release',
  enabledByDefault: true,
  collect: collectKernel,
};

function collectKernel(ctx: CollectorContext): KernelData {
  const running = readKernelRelease(ctx);
  let os: OsRelease | undefined;
  try {
    os = readOsRelease(ctx);
    if (!os) ctx.problem('no os-release file (/etc/os-release, /usr/lib/os-release)');
  } catch (err) {
    ctx.problem(err instanceof Error ? err.message : String(err));
  }
  return { running, os };
}

function readKernelRelease(ctx: CollectorContext): KernelRelease {
  const osrelease = procPath(ctx.paths, 'sys/kernel/osrelease');
  try {
    return parseKernelRelease(readHostFile(osrelease), hostView(ctx.paths, osrelease));
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  const version = procPath(ctx.paths, 'version');
  return parseProcVersion(readHostFile(version), hostView(ctx.paths, version));
}

function readOsRelease(ctx: CollectorContext): OsRelease | undefined {
  for (const rel of ['etc/os-release', 'usr/lib/os-release']) {
    const p = rootfsPath(ctx.paths, rel);
    const text = readOptionalHostFile(p);
    if (text !== undefined) return parseOsRelease(text, hostView(ctx.paths, p));
  }
  return undefined;
}
