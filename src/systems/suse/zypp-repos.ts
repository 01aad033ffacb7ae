// libzypp's repository definitions (/etc/zypp/repos.d/*.repo) and the cache locations of
// /etc/zypp/zypp.conf. Both are INI files read the way libzypp's IniDict and RepoFileReader
// read them: `[section]`, `key = value` (trimmed), `#` and `;` comment lines; in a .repo file
// each section is one repository whose alias is the section name, and the lines after
// `baseurl=`, `gpgkey=`, `mirrorlist=` or `metalink=` that have no `=` continue that list.

import { FileContentError } from '../../errors.js';

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
  /** The line of each entry's (first kept) value, for messages that must name a line and never the value. */
  readonly lines: ReadonlyMap<string, number>;
}

/**
 * Lines of an INI file libzypp cannot read make the whole file unreadable for libzypp too. The
 * error names the file, the line and (when it is one of `knownKeys`) the key, never the line's
 * text: a .repo file's URLs carry access tokens, and a file may be a link to /etc/shadow. Linear in
 * the file's size however many sections it has (a repeated section name continues that section).
 */
export function parseIni(text: string, source: string, continuationKeys: ReadonlySet<string> = new Set(), knownKeys: ReadonlySet<string> = new Set()): IniSection[] {
  // Maps are made for the sections that have keys only: a file of 100,000 bare sections must not cost 200,000 maps.
  const sections = new Map<string, { name: string; entries: Map<string, string>; lines: Map<string, number> }>();
  let current: { name: string; entries: Map<string, string>; lines: Map<string, number> } | undefined;
  let continuing = false;
  let line = 0;
  const bad = (why: string, key?: string) => new FileContentError(source, { line, key: key !== undefined && knownKeys.has(key) ? key : undefined }, why);
  for (let start = 0; start <= text.length;) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    const trimmed = text.slice(start, end).trim();
    start = end + 1;
    line++;
    if (trimmed === '' || trimmed[0] === '#' || trimmed[0] === ';') continue;
    if (trimmed[0] === '[') {
      const close = trimmed.indexOf(']');
      const name = close === trimmed.length - 1 ? trimmed.slice(1, -1).trim() : '';
      if (name === '') throw bad('invalid section header');
      current = sections.get(name);
      if (!current) sections.set(name, (current = { name, entries: NO_ENTRIES, lines: NO_LINES }));
      continuing = false;
      continue;
    }
    const eq = trimmed.indexOf('=');
    if (eq < 0) {
      if (continuing) continue; // one more URL of a multi-line baseurl/gpgkey list
      throw bad('neither a section, a key = value line nor a comment');
    }
    const key = trimmed.slice(0, eq).trim();
    if (!current) throw bad('key outside of any section', key);
    if (key === '') throw bad('empty key');
    if (current.entries === NO_ENTRIES) {
      current.entries = new Map();
      current.lines = new Map();
    }
    // A repeated key keeps the first value for URL lists (libzypp: first mirrorlist wins), else the last.
    if (!(continuationKeys.has(key) && current.entries.has(key))) {
      current.entries.set(key, trimmed.slice(eq + 1).trim());
      current.lines.set(key, line);
    }
    continuing = continuationKeys.has(key);
  }
  return [...sections.values()];
}

/** The entries of every section without keys (never written to). */
const NO_ENTRIES: Map<string, string> = new Map();
const NO_LINES: Map<string, number> = new Map();

/** libzypp's str::strToTrue: 1, yes, true, on, always, + or a non-zero number. */
export function strToTrue(value: string): boolean {
  const v = value.trim().toLowerCase();
  if (['1', 'yes', 'true', 'on', 'always', '+'].includes(v)) return true;
  return /^[+-]?\d+$/.test(v) && Number(v) !== 0;
}

const URL_KEYS = new Set(['baseurl', 'gpgkey', 'mirrorlist', 'metalink']);

/** The keys of a .repo file libzypp knows (RepoFileReader, RepoInfo::dumpAsIniOn): messages may name these. */
const REPO_KEYS = new Set([
  ...URL_KEYS,
  'name',
  'enabled',
  'autorefresh',
  'priority',
  'path',
  'type',
  'service',
  'keeppackages',
  'gpgcheck',
  'repo_gpgcheck',
  'pkg_gpgcheck',
  'mediafileschecksum',
  'proxy',
  'targetdistro',
]);

/** Every repository section of one .repo file. */
export function parseRepoFile(text: string, source: string): RepoDefinition[] {
  return parseIni(text, source, URL_KEYS, REPO_KEYS).map(({ name: alias, entries }) => {
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
      hasUrl: !!(entries.get('baseurl') || entries.get('mirrorlist') || entries.get('metalink')),
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

/** The keys of zypp.conf's [main] section that messages may name. */
const ZYPP_CONF_KEYS = new Set(['cachedir', 'metadatadir', 'reposdir', 'solvfilesdir', 'packagesdir', 'configdir', 'arch', 'servicesdir', 'credentials.global.dir', 'credentials.global.file']);

/** The directories zypp.conf's [main] section moves (`cachedir`, `metadatadir`, `reposdir`); absolute host paths. */
export function parseZyppConf(text: string, source: string): ZyppDirs {
  const main = parseIni(text, source, new Set(), ZYPP_CONF_KEYS).find((s) => s.name === 'main');
  const abs = (key: string): string | undefined => {
    const v = main?.entries.get(key);
    if (v === undefined || v === '') return undefined;
    if (!v.startsWith('/')) throw new FileContentError(source, { line: main!.lines.get(key), key }, 'must be an absolute path');
    return v.replace(/\/+$/, '') || '/';
  };
  const cacheDir = abs('cachedir') ?? '/var/cache/zypp';
  return { reposDir: abs('reposdir') ?? DEFAULT_ZYPP_DIRS.reposDir, metadataDir: abs('metadatadir') ?? `${cacheDir}/raw` };
}
