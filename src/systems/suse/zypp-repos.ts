// libzypp's repository definitions (/etc/zypp/repos.d/*.repo) and the cache locations of
// /etc/zypp/zypp.conf. Both are INI files read the way libzypp's IniDict and RepoFileReader
// read them: `[section]`, `key = value` (trimmed), `#` and `;` comment lines; in a .repo file
// each section is one repository whose alias is the section name, and the lines after
// `baseurl=`, `gpgkey=`, `mirrorlist=` or `metalink=` that have no `=` continue that list.

import { ParseError } from '../../errors.js';

export interface RepoDefinition {
  /** The section name: the repository's alias, which names its cache directories. */
  readonly alias: string;
  readonly name: string | undefined;
  /** `enabled=` (libzypp: a missing key means enabled). */
  readonly enabled: boolean;
  /** `autorefresh=` (libzypp: a missing key means no). */
  readonly autorefresh: boolean;
  /** `priority=`, 99 when missing (lower wins). */
  readonly priority: number;
  /** `path=` under the repository URL, "/" when missing; the raw cache mirrors it. */
  readonly path: string;
  /** Whether the section names a location at all (baseurl, mirrorlist or metalink). Never exported: URLs carry tokens. */
  readonly hasUrl: boolean;
  readonly service: string | undefined;
}

export interface IniSection {
  readonly name: string;
  readonly entries: ReadonlyMap<string, string>;
}

/** Lines of an INI file libzypp cannot read make the whole file unreadable for libzypp too. */
export function parseIni(text: string, source: string, continuationKeys: ReadonlySet<string> = new Set()): IniSection[] {
  const sections: { name: string; entries: Map<string, string> }[] = [];
  let current: { name: string; entries: Map<string, string> } | undefined;
  let continuing = false;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '').trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const bad = (why: string) => new ParseError(source, `line ${i + 1}: ${why}: ${JSON.stringify(line.slice(0, 120))}`);
    if (line.startsWith('[')) {
      const m = /^\[([^\]]*)\]$/.exec(line);
      if (!m || m[1]!.trim() === '') throw bad('invalid section header');
      current = sections.find((s) => s.name === m[1]!.trim());
      if (!current) {
        current = { name: m[1]!.trim(), entries: new Map() };
        sections.push(current);
      }
      continuing = false;
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 0) {
      if (continuing) continue; // one more URL of a multi-line baseurl/gpgkey list
      throw bad('neither a section, a key = value line nor a comment');
    }
    if (!current) throw bad('key outside of any section');
    const key = line.slice(0, eq).trim();
    if (key === '') throw bad('empty key');
    const value = line.slice(eq + 1).trim();
    // A repeated key keeps the first value for URL lists (libzypp: first mirrorlist wins), else the last.
    if (!(continuationKeys.has(key) && current.entries.has(key))) current.entries.set(key, value);
    continuing = continuationKeys.has(key);
  }
  return sections;
}

/** libzypp's str::strToTrue: 1, yes, true, on, always, + or a non-zero number. */
export function strToTrue(value: string): boolean {
  const v = value.trim().toLowerCase();
  if (['1', 'yes', 'true', 'on', 'always', '+'].includes(v)) return true;
  return /^[+-]?\d+$/.test(v) && Number(v) !== 0;
}

const URL_KEYS = new Set(['baseurl', 'gpgkey', 'mirrorlist', 'metalink']);

/** Every repository section of one .repo file. */
export function parseRepoFile(text: string, source: string): RepoDefinition[] {
  return parseIni(text, source, URL_KEYS).map(({ name: alias, entries }) => {
    const prio = entries.get('priority');
    const priority = prio !== undefined && /^\d{1,6}$/.test(prio) && Number(prio) > 0 ? Number(prio) : 99;
    const enabled = entries.get('enabled');
    const autorefresh = entries.get('autorefresh');
    return {
      alias,
      name: entries.get('name') || undefined,
      enabled: enabled === undefined ? true : strToTrue(enabled),
      autorefresh: autorefresh === undefined ? false : strToTrue(autorefresh),
      priority,
      path: entries.get('path') || '/',
      hasUrl: ['baseurl', 'mirrorlist', 'metalink'].some((k) => (entries.get(k) ?? '') !== ''),
      service: entries.get('service') || undefined,
    };
  });
}

/**
 * The cache directory name of an alias (libzypp RepoInfoBase::escaped_alias: "/" becomes "_"),
 * or undefined when the alias could not name a directory under the cache (".", "..", NUL).
 */
export function escapedAlias(alias: string): string | undefined {
  const esc = alias.replace(/\//g, '_');
  if (esc === '' || esc === '.' || esc === '..' || esc.includes('\0') || esc.length > 255) return undefined;
  return esc;
}

/**
 * The repository's `path=` as directories below its raw cache directory ("" for "/"), or
 * undefined when it would leave that directory.
 */
export function repoSubPath(p: string): string | undefined {
  const parts = p.split('/').filter((s) => s !== '' && s !== '.');
  if (parts.some((s) => s === '..' || s.includes('\0'))) return undefined;
  return parts.join('/');
}

export interface ZyppDirs {
  /** Repository definitions directory (zypp.conf `reposdir`). */
  readonly reposDir: string;
  /** Raw metadata cache (zypp.conf `metadatadir`, default `<cachedir>/raw`). */
  readonly metadataDir: string;
}

export const DEFAULT_ZYPP_DIRS: ZyppDirs = { reposDir: '/etc/zypp/repos.d', metadataDir: '/var/cache/zypp/raw' };

/** The directories zypp.conf's [main] section moves (`cachedir`, `metadatadir`, `reposdir`); absolute host paths. */
export function parseZyppConf(text: string, source: string): ZyppDirs {
  const main = parseIni(text, source).find((s) => s.name === 'main')?.entries;
  const abs = (key: string): string | undefined => {
    const v = main?.get(key);
    if (v === undefined || v === '') return undefined;
    if (!v.startsWith('/')) throw new ParseError(source, `${key} must be an absolute path: ${JSON.stringify(v.slice(0, 120))}`);
    return v.replace(/\/+$/, '') || '/';
  };
  const cacheDir = abs('cachedir') ?? '/var/cache/zypp';
  return { reposDir: abs('reposdir') ?? DEFAULT_ZYPP_DIRS.reposDir, metadataDir: abs('metadatadir') ?? `${cacheDir}/raw` };
}
