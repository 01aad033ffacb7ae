import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ParseError } from '../../src/errors.js';
import { PrimaryScanner, UpdateinfoScanner, parseRepomd, repomdLocation } from '../../src/parsers/rpm-md.js';
import { HOSTS } from '../helpers/fixture-host.js';

const LP = 'kernel-livepatch-6_4_0-150600_23_25-default';
// Real createrepo_c / modifyrepo_c output (test/helpers/repo-fixtures.ts).
const REPODATA = path.join(HOSTS, 'sles15sp6-repo-update-available/root/var/cache/zypp/raw/SLE_Module_Live_Patching_15_SP6_x86_64:SLE-Module-Live-Patching15-SP6-Updates/repodata');
const file = (suffix: string) =>
  path.join(
    REPODATA,
    readdirSync(REPODATA).find((n) => n.endsWith(suffix))!,
  );
const gunzipText = (suffix: string) => gunzipSync(readFileSync(file(suffix))).toString('utf8');

function scanPrimary(text: string, wanted = [LP], chunk = 7): PrimaryScanner {
  const s = new PrimaryScanner('primary.xml', new Set(wanted));
  for (let i = 0; i < text.length; i += chunk) s.write(text.slice(i, i + chunk));
  s.end();
  return s;
}

function scanUpdateinfo(text: string, wanted = [LP]): UpdateinfoScanner {
  const s = new UpdateinfoScanner('updateinfo.xml', new Set(wanted));
  s.write(text);
  s.end();
  return s;
}

describe('parseRepomd', () => {
  it("reads createrepo_c's repomd.xml: revision, and the location of each data type", () => {
    const repomd = parseRepomd(readFileSync(path.join(REPODATA, 'repomd.xml'), 'utf8'), 'repomd.xml');
    expect(repomd.revision).toBe('1748520000');
    expect(repomd.data.map((d) => d.type).sort()).toEqual(['filelists', 'other', 'primary', 'updateinfo']);
    expect(repomdLocation(repomd, 'primary', 'repomd.xml')).toMatch(/^repodata\/[0-9a-f]{64}-primary\.xml\.gz$/);
    expect(repomd.data.find((d) => d.type === 'primary')?.timestamp).toBe(1748520000);
    expect(repomdLocation(repomd, 'susedata', 'repomd.xml')).toBeUndefined();
  });

  it.each([['/etc/shadow'], ['repodata/../../../etc/shadow'], ['https://example.com/primary.xml.gz'], ['repodata//x.xml.gz']])('refuses a location outside the repository: %j', (href) => {
    const repomd = parseRepomd(`<repomd><data type="primary"><location href="${href}"/></data></repomd>`, 'repomd.xml');
    expect(() => repomdLocation(repomd, 'primary', 'repomd.xml')).toThrow(/primary location outside the repository/);
  });

  it('ignores locations with xml:base (files elsewhere, not in the cache)', () => {
    const repomd = parseRepomd('<repomd><data type="primary"><location xml:base="https://x/" href="repodata/p.xml.gz"/></data></repomd>', 'repomd.xml');
    expect(repomd.data).toEqual([]);
  });

  it.each([
    ['', /./],
    ['<repomd><data type="primary">', /./],
    ['<html><body>404</body></html>', /not a repomd.xml/],
    ['<!DOCTYPE r [<!ENTITY a "aaaa">]><repomd/>', /DOCTYPE/],
    ['<repomd>&unknown;</repomd>', /./],
  ])('rejects %j', (text, re) => {
    expect(() => parseRepomd(text, 'repomd.xml')).toThrow(ParseError);
    expect(() => parseRepomd(text, 'repomd.xml')).toThrow(re);
  });
});

describe('PrimaryScanner', () => {
  it("keeps only the wanted names from createrepo_c's primary, in any chunking", () => {
    const text = gunzipText('-primary.xml.gz');
    for (const chunk of [1, 7, 4096, text.length]) {
      const s = scanPrimary(text, [LP], chunk);
      expect(s.count).toBe(6);
      expect(s.packages.map((p) => `${p.name}-${p.epoch}:${p.version}-${p.release}.${p.arch}`)).toEqual([4, 3, 2, 1].map((v) => `${LP}-0:${v}-150600.13.${[3, 6, 9, 12][v - 1]}.1.x86_64`));
    }
  });

  it('skips source packages and reads epochs', () => {
    const text = `<metadata xmlns="http://linux.duke.edu/metadata/common" packages="2">
      <package type="rpm"><name>${LP}</name><arch>src</arch><version epoch="0" ver="9" rel="1"/></package>
      <package type="rpm"><name>${LP}</name><arch>x86_64</arch><version epoch="1" ver="2" rel="1.1"/><description>&lt;&amp;&gt;</description></package>
    </metadata>`;
    expect(scanPrimary(text).packages).toEqual([{ name: LP, arch: 'x86_64', epoch: '1', version: '2', release: '1.1' }]);
  });

  it('uses the direct <name> of a package, not names inside <format>', () => {
    const text = `<metadata><package type="rpm"><name>other</name><arch>x86_64</arch><version epoch="0" ver="1" rel="1"/>
      <format><rpm:provides><rpm:entry name="${LP}"/></rpm:provides></format></package></metadata>`;
    expect(scanPrimary(text).packages).toEqual([]);
  });

  it.each([
    ['truncated', (t: string) => t.slice(0, Math.floor(t.length / 2)), /./],
    ['not primary', () => '<updates/>', /not a primary.xml/],
    ['empty', () => '', /./],
    ['garbage', () => '\u0000\u0001binary', /./],
    ['bad version', (t: string) => t.replace(/ver="4"/, 'ver="4 5"'), /invalid <version/],
  ])('fails on a %s document', (_what, mangle, re) => {
    const text = mangle(gunzipText('-primary.xml.gz'));
    expect(() => scanPrimary(text)).toThrow(ParseError);
    expect(() => scanPrimary(text)).toThrow(re);
  });

  it('refuses endless text without markup (saxes would keep it all in memory)', () => {
    const s = new PrimaryScanner('primary.xml', new Set([LP]), 1000);
    s.write('<metadata><package><description>');
    expect(() => s.write('x'.repeat(2000))).toThrow(/more than 1000 characters without any XML element/);
  });
});

describe('UpdateinfoScanner', () => {
  it('keeps the advisories shipping a wanted package, with severity, status and CVEs', () => {
    const s = scanUpdateinfo(gunzipText('-updateinfo.xml.gz'));
    expect(s.count).toBe(2);
    expect(s.advisories).toEqual([
      expect.objectContaining({ id: 'SUSE-SLE-Module-Live-Patching-15-SP6-2025-1580', severity: 'important', status: 'stable', type: 'security', cves: ['CVE-2024-43882', 'CVE-2024-50115', 'CVE-2024-53042'] }),
      expect.objectContaining({ id: 'SUSE-SLE-Module-Live-Patching-15-SP6-2025-1802', cves: ['CVE-2024-53042', 'CVE-2025-21680', 'CVE-2025-21702'] }),
    ]);
    expect(s.advisories[1]!.packages).toEqual([{ name: LP, arch: 'x86_64', epoch: '0', version: '4', release: '150600.13.12.1' }]);
  });

  it('ignores advisories for other packages and references that are not CVEs', () => {
    const text = `<updates>
      <update status="stable" type="security"><id>A</id><references><reference type="cve" id="CVE-2025-1"/></references>
        <pkglist><collection><package name="bash" version="1" release="1" arch="x86_64"/></collection></pkglist></update>
      <update status="retracted" type="security"><id>B</id><severity>Critical</severity><references>
        <reference type="bugzilla" id="CVE-2025-0000"/><reference type="cve" id="not-a-cve"/><reference type="cve" id="CVE-2025-12345"/></references>
        <pkglist><collection><package name="${LP}" version="5" release="1" arch="x86_64"/></collection></pkglist></update>
    </updates>`;
    const s = scanUpdateinfo(text);
    expect(s.advisories).toEqual([{ id: 'B', severity: 'critical', status: 'retracted', type: 'security', cves: ['CVE-2025-12345'], packages: [{ name: LP, arch: 'x86_64', epoch: '0', version: '5', release: '1' }] }]);
  });

  it.each([
    ['<updates><update><pkglist><collection><package name="' + LP + '" version="1" release="1"/></collection></pkglist></update></updates>', /without <id>/],
    ['<updates><update><id>X</id><pkglist><collection><package name="' + LP + '" version="" release="1"/></collection></pkglist></update></updates>', /invalid epoch, version or release/],
    ['<metadata/>', /not an updateinfo.xml/],
    ['<updates><update>', /./],
  ])('rejects %j', (text, re) => {
    expect(() => scanUpdateinfo(text)).toThrow(re);
  });
});

describe('architectures and bounds (issues 21 and 23)', () => {
  const pkg = (arch: string, ver: string) => `<package type="rpm"><name>${LP}</name><arch>${arch}</arch><version epoch="0" ver="${ver}" rel="1.1"/></package>`;
  const X86 = new Set(['x86_64']);

  it("keeps only the host's architecture and noarch from one repodata serving several", () => {
    const text = `<metadata>${pkg('x86_64', '5')}${pkg('s390x', '7')}${pkg('ppc64le', '7')}${pkg('aarch64', '6')}${pkg('noarch', '1')}</metadata>`;
    const s = new PrimaryScanner('primary.xml', new Set([LP]), undefined, X86);
    s.write(text);
    s.end();
    expect(s.packages.map((p) => `${p.version}.${p.arch}`)).toEqual(['5.x86_64', '1.noarch']);
    // Without an architecture, every one is kept (newest first).
    expect(scanPrimary(text).packages.map((p) => `${p.version}.${p.arch}`)).toEqual(['7.s390x', '7.ppc64le', '6.aarch64', '5.x86_64', '1.noarch']);
  });

  it("keeps only the host's architecture of an advisory's packages, and no advisory that ships none", () => {
    const text = `<updates>
      <update status="stable" type="security"><id>S390</id><references><reference type="cve" id="CVE-2025-1"/></references>
        <pkglist><collection><package name="${LP}" version="7" release="1" arch="s390x"/></collection></pkglist></update>
      <update status="stable" type="security"><id>MIXED</id><references><reference type="cve" id="CVE-2025-2"/></references>
        <pkglist><collection><package name="${LP}" version="6" release="1" arch="ppc64le"/><package name="${LP}" version="6" release="1" arch="x86_64"/></collection></pkglist></update>
    </updates>`;
    const s = new UpdateinfoScanner('updateinfo.xml', new Set([LP]), undefined, X86);
    s.write(text);
    s.end();
    expect(s.advisories.map((a) => [a.id, a.packages.map((p) => p.arch)])).toEqual([['MIXED', ['x86_64']]]);
  });

  it('refuses elements nested deeper than 32 at the 33rd, whatever the document', () => {
    const ok = `<metadata><package>${'<a>'.repeat(30)}${'</a>'.repeat(30)}</package></metadata>`;
    expect(() => scanPrimary(ok)).not.toThrow();
    for (const make of [() => new PrimaryScanner('p', new Set([LP])), () => new UpdateinfoScanner('u', new Set([LP]))]) {
      const s = make();
      const root = s instanceof PrimaryScanner ? 'metadata' : 'updates';
      // One write of 300,000 open elements: refused at once, not after all of them.
      expect(() => s.write(`<${root}>` + '<a b="c">'.repeat(100_000))).toThrow(/elements nested deeper than 32/);
      expect(() => s.write('<a>')).toThrow(/elements nested deeper than 32/);
    }
  });

  it('refuses an element with more than 64 attributes at the 65th, whatever the document', () => {
    const attrs = (n: number) => Array.from({ length: n }, (_, i) => `a${i}="x"`).join(' ');
    expect(() => scanPrimary(`<metadata><package ${attrs(64)}/></metadata>`)).not.toThrow();
    for (const make of [() => new PrimaryScanner('p', new Set([LP])), () => new UpdateinfoScanner('u', new Set([LP]))]) {
      const s = make();
      const root = s instanceof PrimaryScanner ? 'metadata' : 'updates';
      // Thousands of attributes in elements that close again: refused at the first such element, not parsed on.
      expect(() => s.write(`<${root}>` + `<a ${attrs(5000)}/>`.repeat(20))).toThrow(/more than 64 attributes \(line 1\)/);
    }
  });

  it('keeps each edition once and the newest 64 of a name, and refuses more than 10,000 entries of one name', () => {
    const s = new PrimaryScanner('primary.xml', new Set([LP]));
    s.write('<metadata>');
    for (let i = 0; i < 5; i++) s.write(pkg('x86_64', '3'));
    for (let v = 1; v <= 200; v++) s.write(pkg('x86_64', String(v)));
    expect(s.packages).toHaveLength(64);
    expect(s.packages[0]!.version).toBe('200');
    expect(s.packages[63]!.version).toBe('137');
    expect(() => {
      for (let i = 0; i < 10_000; i++) s.write(pkg('x86_64', '5'));
    }).toThrow(`more than 10000 packages named ${LP}`);
    // Entries of another architecture count as well (none is kept, but the flood is refused as early).
    const other = new PrimaryScanner('primary.xml', new Set([LP]), undefined, X86);
    other.write('<metadata>');
    expect(() => {
      for (let i = 0; i <= 10_000; i++) other.write(pkg('s390x', String(i)));
    }).toThrow(`more than 10000 packages named ${LP}`);
    expect(other.packages).toEqual([]);
  });

  it('refuses an updateinfo with more than 1,000 advisories for the wanted packages', () => {
    const s = new UpdateinfoScanner('updateinfo.xml', new Set([LP]));
    s.write('<updates>');
    const update = (i: number) => `<update status="stable"><id>A-${i}</id><pkglist><collection><package name="${LP}" version="${i}" release="1" arch="x86_64"/></collection></pkglist></update>`;
    for (let i = 0; i < 1000; i++) s.write(update(i));
    expect(s.advisories).toHaveLength(1000);
    expect(() => s.write(update(1000))).toThrow(/more than 1000 advisories/);
    // Of another architecture: none kept, refused as early.
    const other = new UpdateinfoScanner('updateinfo.xml', new Set([LP]), undefined, X86);
    other.write('<updates>');
    expect(() => {
      for (let i = 0; i <= 1000; i++) other.write(update(i).replace('x86_64', 's390x'));
    }).toThrow(/more than 1000 advisories/);
    expect(other.advisories).toEqual([]);
  });
});

describe('errors name the file and line, never what the file holds', () => {
  it.each([
    ['a root element', () => scanPrimary('<s3cr3t-root/>')],
    ['a location', () => repomdLocation(parseRepomd('<repomd><data type="primary"><location href="../s3cr3t"/></data></repomd>', 'repomd.xml'), 'primary', 'repomd.xml')],
    ['an advisory id', () => scanUpdateinfo(`<updates><update><id>s3cr3t</id><pkglist><collection><package name="${LP}" version="" release="1"/></collection></pkglist></update></updates>`)],
  ])('%s', (_what, run) => {
    expect(run).toThrow(ParseError);
    expect(run).not.toThrow(/s3cr3t/);
  });
});
