// `zypper --xmlout search --details` output (openSUSE/zypper src/search.cc, src/output/OutXML.cc):
//   <stream> … <search-result version="0.0"><solvable-list>
//     <solvable status="installed|other-version|not-installed" name="…" kind="package"
//               edition="[epoch:]version-release" arch="…" repository="…"/>
//   </solvable-list></search-result></stream>
// `repository` is the repository's name; installed packages are listed under "(System Packages)".
// Used by the repositories collector's optional fallback (--collector.repositories.zypper).

import { SaxesParser } from 'saxes';
import { ParseError } from '../../errors.js';
import { parseEdition, type OfferedPackage } from '../../parsers/rpm-md.js';

export interface SearchHit {
  readonly pkg: OfferedPackage;
  readonly repository: string;
}

/** zypper's repository label of installed packages. */
const SYSTEM_PACKAGES = '(System Packages)';

/** The packages with a wanted name that repositories offer (installed copies excluded). */
export function parseZypperSearch(xml: string, wanted: ReadonlySet<string>, source: string): SearchHit[] {
  const hits: SearchHit[] = [];
  let failure: Error | undefined;
  let sawResult = false;
  const parser = new SaxesParser({ xmlns: false });
  parser.on('error', (err) => (failure ??= new ParseError(source, err.message)));
  parser.on('doctype', () => (failure ??= new ParseError(source, 'a DOCTYPE is not allowed')));
  parser.on('opentag', (tag) => {
    if (tag.name === 'search-result') sawResult = true;
    if (tag.name !== 'solvable') return;
    const a = tag.attributes;
    const name = String(a.name ?? '');
    if (!wanted.has(name) || (a.kind !== undefined && a.kind !== 'package')) return;
    const repository = String(a.repository ?? '');
    if (repository === SYSTEM_PACKAGES || repository === '') return;
    const evr = parseEdition(String(a.edition ?? ''));
    if (!evr) {
      failure ??= new ParseError(source, `package ${name}: invalid edition ${JSON.stringify(String(a.edition ?? '').slice(0, 80))}`);
      return;
    }
    hits.push({ pkg: { name, arch: String(a.arch ?? ''), ...evr }, repository: repository.slice(0, 200) });
  });
  // In pieces, stopping at the first error (saxes reports every bad character of a flood).
  for (let i = 0; i < xml.length && !failure; i += 1024) parser.write(xml.slice(i, i + 1024));
  if (!failure) parser.close();
  if (failure) throw failure;
  if (!sawResult) throw new ParseError(source, 'no <search-result> in the output');
  return hits;
}
