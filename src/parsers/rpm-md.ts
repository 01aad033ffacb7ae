// rpm-md repository metadata as createrepo_c writes it and libzypp caches it raw:
// repomd.xml (the index), primary.xml (one <package> per package) and updateinfo.xml (one
// <update> per advisory). Element and attribute names follow libzypp's schemas
// (zypp/parser/yum/schema/{repomd,primary,updateinfo}.rnc) and libsolv's updateinfo reader.
//
// primary and updateinfo are tens of megabytes on SUSE's update repositories: they are read
// as a stream of text chunks (saxes, a non-validating streaming XML parser) and only the
// entries for the wanted package names and architectures are kept. Anyone who can write the
// cache controls these files, so what is kept is bounded whatever they hold: elements nested
// deeper than rpm-md ever needs are refused at once, and so is a file with more entries for the
// wanted names than any real repository has (docs/formats.md, SECURITY.md).

import { SaxesParser, type SaxesTagPlain } from 'saxes';
import { ParseError } from '../errors.js';
import { compareVersionRelease } from './rpm.js';

// --- repomd.xml ---

export interface RepomdEntry {
  /** `<data type>`: primary, updateinfo, filelists, other, primary_zck, susedata, … */
  readonly type: string;
  /** `<location href>`, relative to the repository root (e.g. repodata/<sha256>-primary.xml.gz). */
  readonly href: string;
  /** `<timestamp>`, unix seconds, when the file was generated. */
  readonly timestamp: number | undefined;
}

export interface Repomd {
  readonly revision: string | undefined;
  readonly data: readonly RepomdEntry[];
}

const MAX_TEXT = 4096;
const WRITE_PIECE = 1024;
/**
 * Deepest element nesting accepted. rpm-md needs 6 at most (updateinfo: updates/update/pkglist/
 * collection/package/filename; primary: metadata/package/format/rpm:provides/rpm:entry); 32 leaves a wide margin for extensions
 * while refusing, at the 33rd open element, a document that would make the parser hold millions
 * of open elements.
 */
export const MAX_DEPTH = 32;

/**
 * Most attributes one element may have. rpm-md's richest elements have 7 (updateinfo's
 * <package name epoch version release arch src> and primary's <rpm:entry name flags epoch ver rel
 * pre>); saxes collects every attribute of an element before it reports the element, so thousands
 * of them cost far more per byte than real metadata: refused at the 65th.
 */
export const MAX_ATTRIBUTES = 64;

/** A streaming XML reader with a limit on how much text may pass without any markup. */
abstract class XmlScanner {
  protected readonly parser = new SaxesParser({ xmlns: false, position: true });
  private readonly path: string[] = [];
  private text = '';
  private failure: Error | undefined;
  private lastEventAt = 0;
  /** Attributes of the element being read. */
  private attributes = 0;

  /** The document's root element, once seen. */
  protected root: string | undefined;

  constructor(
    protected readonly source: string,
    private readonly maxRun: number,
    /** The root element the document must have, and what such a document is called (with its article). */
    private readonly expected: { readonly root: string; readonly what: string },
  ) {
    this.parser.on('error', (err) => {
      this.failure ??= new ParseError(this.source, err.message.replace(/^[^:]*:(\d+:\d+): /, 'line:column $1: '));
    });
    this.parser.on('attribute', () => {
      if (++this.attributes > MAX_ATTRIBUTES) throw this.fail(`an element with more than ${MAX_ATTRIBUTES} attributes (line ${this.parser.line})`);
    });
    this.parser.on('opentag', (tag) => {
      this.lastEventAt = this.parser.position;
      this.attributes = 0;
      if (this.path.length >= MAX_DEPTH) throw this.fail(`elements nested deeper than ${MAX_DEPTH} (line ${this.parser.line})`);
      this.path.push(tag.name);
      if (this.path.length === 1) {
        this.root = tag.name;
        if (tag.name !== this.expected.root) throw new ParseError(this.source, `not ${this.expected.what} (its root element is not <${this.expected.root}>)`);
      }
      this.text = '';
      this.open(tag, this.path);
    });
    this.parser.on('text', (t) => this.addText(t));
    this.parser.on('cdata', (t) => this.addText(t));
    this.parser.on('closetag', (tag) => {
      this.lastEventAt = this.parser.position;
      this.close(tag.name, this.path, this.text.trim());
      this.path.pop();
      this.text = '';
    });
    this.parser.on('doctype', () => {
      this.failure ??= new ParseError(this.source, 'a DOCTYPE is not allowed in rpm-md metadata');
    });
  }

  /** Remember the first failure (the parser stops at it) and return it, to throw. */
  protected fail(message: string): ParseError {
    const err = new ParseError(this.source, message);
    this.failure ??= err;
    return err;
  }

  private addText(t: string): void {
    if (this.text.length < MAX_TEXT) this.text += t.slice(0, MAX_TEXT - this.text.length);
  }

  /** Feed the next chunk of decoded text. */
  write(chunk: string): void {
    // In pieces, so that text full of errors (saxes reports each bad character) stops early.
    for (let i = 0; i < chunk.length; i += WRITE_PIECE) {
      if (this.failure) throw this.failure;
      this.parser.write(chunk.length <= WRITE_PIECE ? chunk : chunk.slice(i, i + WRITE_PIECE));
    }
    if (this.failure) throw this.failure;
    // saxes keeps a text node in memory until its end: refuse endless text without markup.
    if (this.parser.position - this.lastEventAt > this.maxRun) {
      throw (this.failure = new ParseError(this.source, `more than ${this.maxRun} characters without any XML element`));
    }
  }

  /** The end of the document: incomplete documents (a truncated file) are an error. */
  end(): void {
    if (this.failure) throw this.failure;
    this.parser.close();
    if (this.failure) throw this.failure;
    if (this.root === undefined) throw new ParseError(this.source, 'empty document');
  }

  protected abstract open(tag: SaxesTagPlain, path: readonly string[]): void;
  protected abstract close(name: string, path: readonly string[], text: string): void;
}

class RepomdScanner extends XmlScanner {
  revision: string | undefined;
  readonly data: RepomdEntry[] = [];
  private current: { type: string; href?: string; timestamp?: number } | undefined;

  constructor(source: string) {
    super(source, 1024 * 1024, { root: 'repomd', what: 'a repomd.xml' });
  }

  protected open(tag: SaxesTagPlain, path: readonly string[]): void {
    if (path.length === 2 && tag.name === 'data') this.current = { type: String(tag.attributes.type ?? '') };
    if (path.length === 3 && tag.name === 'location' && this.current) {
      const href = tag.attributes.href;
      // <location xml:base="…"> points outside the repository: not something the cache holds.
      if (typeof href === 'string' && tag.attributes['xml:base'] === undefined) this.current.href = href;
    }
  }

  protected close(name: string, path: readonly string[], text: string): void {
    if (path.length === 2 && name === 'revision') this.revision = text.slice(0, 64);
    if (path.length === 3 && name === 'timestamp' && this.current && /^\d{1,12}$/.test(text)) this.current.timestamp = Number(text);
    if (path.length === 2 && name === 'data' && this.current) {
      const c = this.current;
      if (c.type !== '' && c.href !== undefined) this.data.push({ type: c.type, href: c.href, timestamp: c.timestamp });
      this.current = undefined;
    }
  }
}

/** Parse repomd.xml (small: read whole). */
export function parseRepomd(text: string, source: string): Repomd {
  const s = new RepomdScanner(source);
  s.write(text);
  s.end();
  return { revision: s.revision, data: s.data };
}

/**
 * The location of the metadata file of `type` inside the repository (a relative path without
 * "..", so it stays inside the cache directory), or undefined when repomd lists none.
 */
export function repomdLocation(repomd: Repomd, type: string, source: string): string | undefined {
  const entry = repomd.data.find((d) => d.type === type);
  if (!entry) return undefined;
  const parts = entry.href.split('/');
  if (entry.href.startsWith('/') || parts.some((p) => p === '..' || p === '') || /[\0\\]/.test(entry.href) || /^[a-z][a-z0-9+.-]*:/i.test(entry.href)) {
    throw new ParseError(source, `${type} location outside the repository (absolute, with "..", a URL or a backslash)`);
  }
  return entry.href;
}

// --- primary.xml ---

export interface Evr {
  readonly epoch: string;
  readonly version: string;
  readonly release: string;
}

export interface OfferedPackage extends Evr {
  readonly name: string;
  readonly arch: string;
}

const EVR_TOKEN = /^[A-Za-z0-9._+~^]{1,200}$/;
/** Characters of text without any markup before a document is refused (saxes keeps a text node whole). */
const MAX_RUN = 16 * 1024 * 1024;

const evrOf = (epoch: unknown, version: unknown, release: unknown): Evr => ({ epoch: String(epoch ?? '0') || '0', version: String(version ?? ''), release: String(release ?? '') });
const validEvr = (e: Evr) => EVR_TOKEN.test(e.version) && EVR_TOKEN.test(e.release) && /^\d{1,9}$/.test(e.epoch);

/** An edition as zypper writes it, `[epoch:]version-release`, or undefined when it is not a valid one. */
export function parseEdition(text: string): Evr | undefined {
  const m = /^(?:(\d+):)?(.*)-([^-]*)$/.exec(text);
  const e = m && evrOf(m[1], m[2], m[3]);
  return e && validEvr(e) ? e : undefined;
}

/**
 * Whether a package's architecture is one the host installs: its own (the running kernel's) or
 * noarch, as zypper offers them; undefined accepts every architecture.
 */
export function archAccepted(arch: string, arches: ReadonlySet<string> | undefined): boolean {
  return arches === undefined || arch === 'noarch' || arches.has(arch);
}

/**
 * Entries for one wanted package name a file may hold before it is refused: a live patch package
 * name belongs to one kernel build, whose live patches are released for about a year (a few
 * dozen versions per architecture); no real repository comes near.
 */
export const MAX_ENTRIES_PER_NAME = 10_000;
/** Distinct editions kept per package name: the newest (the older ones only matter when every newer one is retracted). */
export const KEPT_PER_NAME = 64;

const compareEvr = (a: Evr, b: Evr) => Number(a.epoch) - Number(b.epoch) || compareVersionRelease(a, b);

/**
 * Reads primary.xml as a stream and keeps the packages with a wanted name and an accepted
 * architecture (source packages excluded): each edition once, the newest KEPT_PER_NAME of each name.
 */
export class PrimaryScanner extends XmlScanner {
  /** Number of <package> elements seen. */
  count = 0;
  private cur: { name?: string; arch?: string; evr?: Evr } | undefined;
  /** Per wanted name: entries seen, and the kept packages, newest first. */
  private readonly kept = new Map<string, { seen: number; packages: OfferedPackage[] }>();

  constructor(
    source: string,
    private readonly wanted: ReadonlySet<string>,
    maxRun = MAX_RUN,
    private readonly arches?: ReadonlySet<string>,
  ) {
    super(source, maxRun, { root: 'metadata', what: 'a primary.xml' });
  }

  /** The kept packages, by name, newest first. */
  get packages(): OfferedPackage[] {
    return [...this.kept.values()].flatMap((k) => k.packages);
  }

  protected open(tag: SaxesTagPlain, path: readonly string[]): void {
    if (path.length === 2 && tag.name === 'package') {
      this.cur = {};
      this.count++;
    }
    if (path.length === 3 && tag.name === 'version' && this.cur) this.cur.evr = evrOf(tag.attributes.epoch, tag.attributes.ver, tag.attributes.rel);
  }

  protected close(name: string, path: readonly string[], text: string): void {
    const cur = this.cur;
    if (!cur) return;
    if (path.length === 3 && name === 'name') cur.name = text;
    else if (path.length === 3 && name === 'arch') cur.arch = text;
    else if (path.length === 2 && name === 'package') {
      this.cur = undefined;
      if (cur.name === undefined || !this.wanted.has(cur.name)) return;
      // Counted whatever their architecture: a flood of another architecture's entries is refused as early.
      let k = this.kept.get(cur.name);
      if (!k) this.kept.set(cur.name, (k = { seen: 0, packages: [] }));
      if (++k.seen > MAX_ENTRIES_PER_NAME) throw this.fail(`more than ${MAX_ENTRIES_PER_NAME} packages named ${cur.name} (no real repository has more than a few dozen)`);
      const arch = cur.arch ?? '';
      if (arch === 'src' || arch === 'nosrc' || !archAccepted(arch, this.arches)) return;
      if (!cur.evr || !validEvr(cur.evr)) throw this.fail(`package ${cur.name}: missing or invalid <version epoch ver rel>`);
      keepNewest(k.packages, { name: cur.name, arch, ...cur.evr }, KEPT_PER_NAME);
    }
  }
}

/** Insert `p` into `list` (newest first, each edition and architecture once), keeping at most `max`. */
function keepNewest(list: OfferedPackage[], p: OfferedPackage, max: number): void {
  let i = 0;
  for (; i < list.length; i++) {
    const c = compareEvr(p, list[i]!);
    if (c === 0 && p.arch === list[i]!.arch && p.epoch === list[i]!.epoch) return;
    if (c > 0) break;
  }
  if (i >= max) return;
  list.splice(i, 0, p);
  if (list.length > max) list.pop();
}

// --- updateinfo.xml ---

export interface Advisory {
  readonly id: string;
  /** critical, important, moderate, low, unspecified (as written; "" when absent). */
  readonly severity: string;
  /** stable, final, retracted, testing … */
  readonly status: string;
  readonly type: string;
  readonly cves: readonly string[];
  /** The wanted packages the advisory ships. */
  readonly packages: readonly OfferedPackage[];
}

/** CVE references kept per advisory (a live patch advisory lists a few dozen at most, a kernel update a few hundred). */
const MAX_CVES = 10_000;
/**
 * Advisories shipping a wanted package a file may hold, and CVE references they may carry in
 * all, before it is refused: one advisory per live patch version and architecture, a few dozen
 * for a kernel build in a real repository.
 */
export const MAX_ADVISORIES = 1000;
export const MAX_KEPT_CVES = 100_000;
/** Wanted packages one advisory may list (one per architecture in a real one). */
const MAX_ADVISORY_PACKAGES = 100;

/**
 * Reads updateinfo.xml as a stream and keeps the advisories that ship a wanted package name of an
 * accepted architecture (with only those packages).
 */
export class UpdateinfoScanner extends XmlScanner {
  readonly advisories: Advisory[] = [];
  count = 0;
  private keptCves = 0;
  /** Advisories naming a wanted package, of any architecture. */
  private naming = 0;
  private cur: { id: string; severity: string; status: string; type: string; cves: Set<string>; packages: OfferedPackage[]; names: boolean } | undefined;

  constructor(
    source: string,
    private readonly wanted: ReadonlySet<string>,
    maxRun = MAX_RUN,
    private readonly arches?: ReadonlySet<string>,
  ) {
    super(source, maxRun, { root: 'updates', what: 'an updateinfo.xml' });
  }

  protected open(tag: SaxesTagPlain, path: readonly string[]): void {
    const a = tag.attributes;
    if (path.length === 2 && tag.name === 'update') {
      this.count++;
      this.cur = { id: '', severity: '', status: String(a.status ?? ''), type: String(a.type ?? ''), cves: new Set(), packages: [], names: false };
    }
    const cur = this.cur;
    if (!cur) return;
    if (path.length === 4 && tag.name === 'reference' && path[2] === 'references' && a.type === 'cve') {
      const id = String(a.id ?? '').trim();
      if (/^CVE-\d{4}-\d{4,}$/.test(id) && cur.cves.size < MAX_CVES) cur.cves.add(id);
    }
    if (path.length === 5 && tag.name === 'package' && path[2] === 'pkglist') {
      const name = String(a.name ?? '');
      if (!this.wanted.has(name)) return;
      cur.names = true;
      const arch = String(a.arch ?? '');
      if (arch === 'src' || arch === 'nosrc' || !archAccepted(arch, this.arches)) return;
      const evr = evrOf(a.epoch, a.version, a.release);
      if (!validEvr(evr)) throw this.fail(`line ${this.parser.line}: package ${name} with an invalid epoch, version or release`);
      if (cur.packages.length >= MAX_ADVISORY_PACKAGES) throw this.fail(`line ${this.parser.line}: an <update> with more than ${MAX_ADVISORY_PACKAGES} packages named ${name}`);
      cur.packages.push({ name, arch, ...evr });
    }
  }

  protected close(name: string, path: readonly string[], text: string): void {
    const cur = this.cur;
    if (!cur) return;
    if (path.length === 3 && name === 'id') cur.id = text.slice(0, 200);
    else if (path.length === 3 && name === 'severity') cur.severity = text.toLowerCase().slice(0, 40);
    else if (path.length === 2 && name === 'update') {
      this.cur = undefined;
      // Counted whatever their architecture, as for primary.
      if (cur.names && ++this.naming > MAX_ADVISORIES) throw this.fail(`more than ${MAX_ADVISORIES} advisories for the wanted packages (a real repository has a few dozen)`);
      if (cur.packages.length === 0) return;
      if (cur.id === '') throw this.fail(`line ${this.parser.line}: an <update> without <id>`);
      if ((this.keptCves += cur.cves.size) > MAX_KEPT_CVES) throw this.fail(`more than ${MAX_KEPT_CVES} CVE references in the advisories for the wanted packages`);
      this.advisories.push({ id: cur.id, severity: cur.severity, status: cur.status, type: cur.type, cves: [...cur.cves].sort(), packages: cur.packages });
    }
  }
}
