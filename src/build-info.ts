// Version and revision of this build, for klp_exporter_build_info and --version.

import { readFileSync } from 'node:fs';
import { embeddedBuild } from './embedded.js';

export interface BuildInfo {
  readonly version: string;
  readonly revision: string;
  readonly nodejsVersion: string;
}

function readOptional(url: URL): string | undefined {
  try {
    return readFileSync(url, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * A single-file build (`npm run bundle`) carries its version and revision inside; the tsc build reads
 * package.json's version and the revision from a REVISION file beside it (written by release builds).
 */
export function readBuildInfo(): BuildInfo {
  if (embeddedBuild) return { ...embeddedBuild, nodejsVersion: process.version };
  const pkg = readOptional(new URL('../package.json', import.meta.url));
  const version = pkg ? ((JSON.parse(pkg) as { version?: string }).version ?? 'unknown') : 'unknown';
  const revision = readOptional(new URL('../REVISION', import.meta.url))?.trim() || 'unknown';
  return { version, revision, nodejsVersion: process.version };
}
