// RPM query output, NVRA names and version comparison (rpmvercmp): rpm itself, no vendor's naming.

import { ParseError } from '../errors.js';

/** A query format for `rpm -qa --qf` that parseRpmQuery reads: one tab-separated line a package. */
export const RPM_QUERY_FORMAT = '%{NAME}\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\t%{BUILDTIME}\\t%{INSTALLTIME}\\n';

export interface RpmPackage {
  readonly name: string;
  readonly version: string;
  readonly release: string;
  readonly arch: string;
  /** Unix seconds. */
  readonly buildTime: number;
  /** Unix seconds. */
  readonly installTime: number;
}

const TOKEN = /^[A-Za-z0-9._+~^-]+$/;

/**
 * Parse the output of `rpm -qa --qf RPM_QUERY_FORMAT`. Any line of another shape is an error, and
 * so is a last record without its newline (output cut off: every record of the format ends with one).
 */
export function parseRpmQuery(text: string, source = 'rpm -qa'): RpmPackage[] {
  const out: RpmPackage[] = [];
  const lines = text.split('\n');
  // What follows the last newline: nothing, or a record that was cut off (reported after the lines before it).
  const last = lines.pop()!;
  lines.forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (line === '') return;
    const f = line.split('\t');
    const bad = (why: string) => new ParseError(source, `line ${i + 1}: ${why}: ${JSON.stringify(line.slice(0, 120))}`);
    if (f.length !== 6) throw bad(`expected 6 tab-separated fields, got ${f.length}`);
    const [name, version, release, arch, build, install] = f as [string, string, string, string, string, string];
    for (const [what, v] of [
      ['name', name],
      ['version', version],
      ['release', release],
    ] as const) {
      if (!TOKEN.test(v) || v.length > 200) throw bad(`invalid ${what}`);
    }
    if (!/^\d{1,12}$/.test(build)) throw bad('invalid build time');
    if (!/^(\d{1,12}|\(none\))$/.test(install)) throw bad('invalid install time');
    out.push({
      name,
      version,
      release,
      arch,
      buildTime: Number(build),
      installTime: install === '(none)' ? 0 : Number(install),
    });
  });
  if (last !== '') throw new ParseError(source, `line ${lines.length + 1}: record cut off (no newline): ${JSON.stringify(last.slice(0, 120))}`);
  return out;
}

/** Split an NVRA such as kernel-livepatch-6_4_0-150600_23_25-default-3-150600.13.9.1.x86_64. */
export function parseNvra(text: string): { name: string; version: string; release: string; arch: string } | undefined {
  const m = /^(.+)-([^-]+)-([^-]+?)(?:\.(x86_64|ppc64le|s390x|aarch64|noarch|i[3-6]86|armv7hl))?$/.exec(text.trim());
  if (!m) return undefined;
  return { name: m[1]!, version: m[2]!, release: m[3]!, arch: m[4] ?? '' };
}

// --- version comparison (rpmvercmp) ---

const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';
const isAlpha = (c: string | undefined) => c !== undefined && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));
const isAlnum = (c: string | undefined) => isDigit(c) || isAlpha(c);

/** rpm's segment-wise version comparison (with "~" sorting before and "^" after): -1, 0 or 1. */
export function rpmVerCmp(a: string, b: string): number {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  for (;;) {
    while (i < a.length && !isAlnum(a[i]) && a[i] !== '~' && a[i] !== '^') i++;
    while (j < b.length && !isAlnum(b[j]) && b[j] !== '~' && b[j] !== '^') j++;
    if (a[i] === '~' || b[j] === '~') {
      if (a[i] !== '~') return 1;
      if (b[j] !== '~') return -1;
      i++;
      j++;
      continue;
    }
    if (a[i] === '^' || b[j] === '^') {
      if (i >= a.length) return -1;
      if (j >= b.length) return 1;
      if (a[i] !== '^') return 1;
      if (b[j] !== '^') return -1;
      i++;
      j++;
      continue;
    }
    if (i >= a.length || j >= b.length) break;
    const numeric = isDigit(a[i]);
    const take = numeric ? isDigit : isAlpha;
    const si = i;
    const sj = j;
    while (i < a.length && take(a[i])) i++;
    while (j < b.length && take(b[j])) j++;
    const s1 = a.slice(si, i);
    const s2 = b.slice(sj, j);
    if (s2 === '') return numeric ? 1 : -1;
    if (numeric) {
      const n1 = s1.replace(/^0+/, '');
      const n2 = s2.replace(/^0+/, '');
      if (n1.length !== n2.length) return n1.length > n2.length ? 1 : -1;
      if (n1 !== n2) return n1 > n2 ? 1 : -1;
    } else if (s1 !== s2) {
      return s1 > s2 ? 1 : -1;
    }
  }
  if (i >= a.length && j >= b.length) return 0;
  return i >= a.length ? -1 : 1;
}

/** Compare two packages by version, then release. */
export function compareVersionRelease(a: { version: string; release: string }, b: { version: string; release: string }): number {
  return rpmVerCmp(a.version, b.version) || rpmVerCmp(a.release, b.release);
}
