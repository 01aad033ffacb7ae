// Lifecycle data files (zypper-lifecycle's format) and `zypper lifecycle <package>` output.
//
// Data file: CSV lines `name,version,date[,successor]`; `#` comments and blank lines skipped;
// fields stripped; name is an exact name, a glob with * (and ?), or /regex/; version is a glob
// matched against the package edition (version-release); date is YYYY-MM-DD (UTC). When several
// lines match, the last one wins.

import { fileProblem, ParseError } from '../errors.js';
import { parseIsoDate } from './date.js';

/** A compiled name or version pattern: a glob (see globMatcher) or a /regex/ from the data file. */
export interface Matcher {
  test(text: string): boolean;
  /** The pattern; "^.*$" for a bare "*" (any version). */
  readonly source: string;
}

export interface LifecycleEntry {
  readonly name: string | Matcher;
  readonly version: Matcher;
  /** Unix milliseconds; undefined when the line names a successor but no date. */
  readonly date: number | undefined;
  readonly line: number;
  readonly source: string;
}

export interface LifecycleData {
  readonly entries: LifecycleEntry[];
  /** The first MAX_PROBLEMS lines that could not be used, with the reason. */
  readonly problems: string[];
  /** How many lines could not be used (problems holds only the first few). */
  readonly problemCount: number;
}

const MAX_LINE = 4096;
/** Problems kept per file: a file of two million bad lines costs a count, not two million messages. */
export const MAX_PROBLEMS = 5;

/** Parse a data file, or a run of its lines starting at line `firstLine`. */
export function parseLifecycleData(text: string, source: string, firstLine = 1): LifecycleData {
  const entries: LifecycleEntry[] = [];
  const problems: string[] = [];
  let problemCount = 0;
  const kept = {
    push(message: () => string): void {
      if (problemCount++ < MAX_PROBLEMS) problems.push(message());
    },
  };
  // Line by line with indexOf, not split(): a 4 MiB file of two million short lines must not
  // become two million strings at once (RSS) nor stall the event loop for long.
  for (let start = 0, i = firstLine - 1; start <= text.length; i++) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    const raw = text.slice(start, end);
    start = end + 1;
    parseLine(raw, i);
  }
  function parseLine(raw: string, i: number): void {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    // Built only for the few problems that are kept; the file, the line and the problem, never the line's text
    // (a data file may be a link to /etc/shadow or /proc/self/environ).
    const at = (problem: string) => () => fileProblem(source, { line: i + 1 }, problem);
    if (line.length > MAX_LINE) return void kept.push(at(`line longer than ${MAX_LINE} characters`));
    const second = line.indexOf(',', line.indexOf(',') + 1);
    const fields = second > 0 ? splitCsv(line) : undefined;
    if (!fields || fields.length < 3) return void kept.push(at('expected name,version,date[,successor]'));
    const [nameText, versionText, dateText] = fields.map((f) => f.trim()) as [string, string, string];
    if (nameText === '') return void kept.push(at('empty name'));
    let name: string | Matcher;
    if (nameText.length >= 2 && nameText.startsWith('/') && nameText.endsWith('/')) {
      try {
        name = new RegExp(nameText.slice(1, -1));
      } catch {
        return void kept.push(at('invalid regular expression'));
      }
    } else {
      name = nameText.includes('*') || nameText.includes('?') ? globMatcher(nameText) : nameText;
    }
    let date: number | undefined;
    if (dateText !== '') {
      date = parseIsoDate(dateText);
      if (date === undefined) return void kept.push(at('invalid date'));
    } else if ((fields[3] ?? '').trim() === '') {
      return void kept.push(at('no date and no successor'));
    }
    entries.push({ name, version: globMatcher(versionText === '' ? '*' : versionText), date, line: i + 1, source });
  }
  return { entries, problems, problemCount };
}

/** The entry that applies to a package (last match wins across the given entries), if any. */
export function findLifecycleEntry(entries: readonly LifecycleEntry[], name: string, edition: string | undefined): LifecycleEntry | undefined {
  let found: LifecycleEntry | undefined;
  for (const e of entries) {
    const nameOk = typeof e.name === 'string' ? e.name === name : e.name.test(name);
    // Without an installed edition only "any version" lines can apply.
    const versionOk = edition === undefined ? e.version.source === '^.*$' : e.version.test(edition);
    if (nameOk && versionOk) found = e;
  }
  return found;
}

/**
 * A glob with * (any run) and ? (any one character), matched without regular expressions: a
 * RegExp built from a glob such as "*a*a*a*a*a*a*a*a*a*ab" backtracks exponentially (seconds per
 * match for a 40-character edition), so a bad data line could stall every scrape. This is the
 * classic greedy matcher that only backtracks to the last star: O(pattern × text) at worst.
 */
export function globMatcher(glob: string): Matcher {
  const source = glob === '*' ? '^.*$' : glob;
  return {
    source,
    test(text: string): boolean {
      let p = 0;
      let t = 0;
      let star = -1;
      let mark = 0;
      while (t < text.length) {
        if (p < glob.length && (glob[p] === '?' || (glob[p] !== '*' && glob[p] === text[t]))) {
          p++;
          t++;
        } else if (p < glob.length && glob[p] === '*') {
          star = p++;
          mark = t;
        } else if (star !== -1) {
          p = star + 1;
          t = ++mark;
        } else {
          return false;
        }
      }
      while (p < glob.length && glob[p] === '*') p++;
      return p === glob.length;
    },
  };
}

/** Split one CSV line (RFC 4180 quotes); undefined when a quote is not closed. */
function splitCsv(line: string): string[] | undefined {
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c === '"' && field.trim() === '') {
      quoted = true;
      field = '';
    } else if (c === ',') {
      out.push(field);
      field = '';
    } else {
      field += c;
    }
  }
  if (quoted) return undefined;
  out.push(field);
  return out;
}

/** What `zypper lifecycle <package>` says about a package's end of support. */
export type ZypperLifecycle =
  | { readonly kind: 'date'; readonly date: number }
  /** "Now": support already ended (no date given). */
  | { readonly kind: 'ended' }
  /**
   * "Now, installed …, update available …" (or "successor available"): zypper-lifecycle also prints
   * "Now" when an update of the package exists and no end date applies. Not an end of support.
   */
  | { readonly kind: 'update-available' }
  /** "n/a*" or "-": no end of support known / never. */
  | { readonly kind: 'none'; readonly text: string };

export function parseZypperLifecycle(text: string, pkg: string, source = 'zypper lifecycle'): ZypperLifecycle {
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (!line.startsWith(`${pkg} `) && line.trim() !== pkg) continue;
    const rest = line.slice(pkg.length).trim();
    const first = rest.split(/[,\s]/)[0] ?? '';
    if (first === 'Now') return /^Now, installed \S+, (update|successor) available /.test(rest) ? { kind: 'update-available' } : { kind: 'ended' };
    if (first === '-' || first.startsWith('n/a')) return { kind: 'none', text: first };
    const date = parseIsoDate(first);
    if (date !== undefined) return { kind: 'date', date };
    throw new ParseError(source, `unknown end of support ${JSON.stringify(first.slice(0, 40))} for ${pkg}`);
  }
  throw new ParseError(source, `no line for ${pkg}`);
}
