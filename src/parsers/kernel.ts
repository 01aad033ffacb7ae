// Kernel release strings and /etc/os-release.
//
// SUSE: uname -r = <upstream version>-<source release>-<flavor>, e.g. 6.4.0-150600.23.25-default.
// Neither the upstream version nor the source release contains "-"; the flavor may
// (custom builds: 6.4.0-150600.23.81-cxlraw-default).

import { ParseError } from '../errors.js';

export interface KernelRelease {
  /** The whole string, e.g. "6.4.0-150600.23.25-default". */
  readonly release: string;
  /** Upstream version, e.g. "6.4.0". */
  readonly version: string;
  /** SUSE "kernel revision" (source release), e.g. "150600.23.25"; "" when there is none. */
  readonly revision: string;
  /** Flavor, e.g. "default", "rt", "azure"; "" when there is none. */
  readonly flavor: string;
}

const RELEASE = /^(\d+(?:\.\d+)*)(?:-([^-\s]+)(?:-(\S+))?)?$/;

/** Split a kernel release (the content of /proc/sys/kernel/osrelease). */
export function parseKernelRelease(text: string, source = 'osrelease'): KernelRelease {
  const release = text.trim();
  if (release.includes('\n')) throw new ParseError(source, 'more than one line');
  const m = RELEASE.exec(release);
  if (!m || release.length > 256) throw new ParseError(source, 'not a kernel release'); // never quoted: the file could be a link to a secret
  return { release, version: m[1]!, revision: m[2] ?? '', flavor: m[3] ?? '' };
}

/** The release from a /proc/version line ("Linux version 6.4.0-150600.23.25-default (geeko@buildhost) ..."). */
export function parseProcVersion(text: string, source = '/proc/version'): KernelRelease {
  const m = /^Linux version (\S+)/.exec(text);
  if (!m) throw new ParseError(source, 'does not start with "Linux version"');
  return parseKernelRelease(m[1]!, source);
}

export interface OsRelease {
  readonly id: string;
  readonly versionId: string;
  readonly prettyName: string;
  /** Every key of the file. */
  readonly fields: Readonly<Record<string, string>>;
}

/**
 * Parse os-release(5): KEY=value lines, values optionally in double or single quotes with
 * shell-style backslash escapes inside double quotes; comments and blank lines ignored.
 */
export function parseOsRelease(text: string, source = '/etc/os-release'): OsRelease {
  const fields: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '').trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (!m) continue; // os-release(5): lines that are not assignments are ignored
    fields[m[1]!] = unquote(m[2]!);
  }
  if (Object.keys(fields).length === 0) throw new ParseError(source, 'no KEY=value lines');
  return {
    id: fields.ID ?? 'linux',
    versionId: fields.VERSION_ID ?? '',
    prettyName: fields.PRETTY_NAME ?? fields.NAME ?? 'Linux',
    fields,
  };
}

function unquote(v: string): string {
  if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) {
    return v.slice(1, -1).replace(/\\([\\"$`])/g, '$1');
  }
  if (v.length >= 2 && v.startsWith("'") && v.endsWith("'")) return v.slice(1, -1);
  return v;
}
