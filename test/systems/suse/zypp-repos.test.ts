import { describe, expect, it } from '@jest/globals';
import { FileContentError, ParseError } from '../../../src/errors.js';
import { escapedAlias, parseRepoFile, parseZyppConf, repoSubPath, strToTrue } from '../../../src/systems/suse/zypp-repos.js';

const SCC = `[SLE_Module_Live_Patching_15_SP6_x86_64:SLE-Module-Live-Patching15-SP6-Updates]
name=SLE-Module-Live-Patching15-SP6-Updates
enabled=1
autorefresh=1
baseurl=https://updates.suse.com/SUSE/Updates/SLE-Module-Live-Patching/15-SP6/x86_64/update?TOKEN
service=SLE_Module_Live_Patching_15_SP6_x86_64
keeppackages=0
`;

describe('parseRepoFile', () => {
  it('reads a repository section as SUSEConnect writes it', () => {
    expect(parseRepoFile(SCC, 'x.repo')).toEqual([
      {
        alias: 'SLE_Module_Live_Patching_15_SP6_x86_64:SLE-Module-Live-Patching15-SP6-Updates',
        name: 'SLE-Module-Live-Patching15-SP6-Updates',
        enabled: true,
        autorefresh: true,
        priority: 99,
        path: '/',
        hasUrl: true,
        service: 'SLE_Module_Live_Patching_15_SP6_x86_64',
      },
    ]);
  });

  it('reads several sections, comments, CRLF, spaces around =, and multi-line baseurl lists', () => {
    const text = [
      '# comment',
      '; also a comment',
      '[a]',
      'name = A ',
      'enabled = no',
      'baseurl = http://one/',
      '   http://two/',
      '\thttp://three/',
      'priority=20',
      '',
      '[b]\r',
      'enabled=yes\r',
      'autorefresh=on\r',
      'path=/sub/dir\r',
      'type=rpm-md\r',
      '[c]',
      'mirrorlist=http://m/',
    ].join('\n');
    const repos = parseRepoFile(text, 'x.repo');
    expect(repos.map((r) => [r.alias, r.name, r.enabled, r.autorefresh, r.priority, r.path, r.hasUrl])).toEqual([
      ['a', 'A', false, false, 20, '/', true],
      ['b', undefined, true, true, 99, '/sub/dir', false],
      ['c', undefined, true, false, 99, '/', true],
    ]);
  });

  it('takes enabled and autorefresh the way libzypp does (strToTrue; a missing enabled means enabled)', () => {
    const one = (line: string) => parseRepoFile(`[r]\n${line}\n`, 'x.repo')[0]!;
    expect(one('name=x').enabled).toBe(true);
    expect(one('enabled=0').enabled).toBe(false);
    expect(one('enabled=').enabled).toBe(false);
    expect(one('enabled=TRUE').enabled).toBe(true);
    expect(one('enabled=2').enabled).toBe(true);
    expect(one('enabled=off').enabled).toBe(false);
    expect(one('autorefresh=always').autorefresh).toBe(true);
    expect(strToTrue('+')).toBe(true);
    expect(strToTrue('nope')).toBe(false);
  });

  it.each([
    ['key=value before any section\n', /line 1: key outside of any section/],
    ['[r]\nthis is not ini\n', /line 2: neither a section/],
    ['[]\n', /line 1: invalid section header/],
    ['[r\n', /line 1: invalid section header/],
    ['[r]\n=value\n', /line 2: empty key/],
  ])('rejects %j', (text, re) => {
    expect(() => parseRepoFile(text, '/etc/zypp/repos.d/x.repo')).toThrow(ParseError);
    expect(() => parseRepoFile(text, '/etc/zypp/repos.d/x.repo')).toThrow(re);
  });

  // Issue 21: `key outside of any section: "baseurl=https://updates.suse.com/…?AaBbCc…"` quoted the access token.
  const TOKEN = 'AaBbCcDdEeFfGgHhIiJj0123456789';
  it.each([
    [`baseurl=https://updates.suse.com/x?${TOKEN}\n[r]\n`, 1, 'baseurl', 'key outside of any section'],
    [`${TOKEN}=x\n`, 1, undefined, 'key outside of any section'],
    [`[r]\nname=x\n${TOKEN}\n`, 3, undefined, 'neither a section'],
    [`[r]\n[${TOKEN}\n`, 2, undefined, 'invalid section header'],
    [`[r]\n =${TOKEN}\n`, 2, undefined, 'empty key'],
    ['root:$6$AaBbCcDdEeFfGgHh$IiJj0123456789:19000:0:99999:7:::\n', 1, undefined, 'neither a section'],
  ])('the error names the file, line and known key, never the content: %j', (text, line, key, problem) => {
    let err: unknown;
    try {
      parseRepoFile(text, '/etc/zypp/repos.d/x.repo');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FileContentError);
    const e = err as FileContentError;
    expect([e.line, e.key]).toEqual([line, key]);
    expect(e.message).toBe(`/etc/zypp/repos.d/x.repo: line ${line}: ${key ? `key ${key}: ` : ''}${e.message.split(': ').pop()}`);
    expect(e.message).toContain(problem);
    for (let i = 0; i + 8 <= TOKEN.length; i++) expect(e.message).not.toContain(TOKEN.slice(i, i + 8));
    expect(e.message).not.toContain('$6$');
  });

  it('reads 100,000 sections (a repeated name continues its section, as in libzypp)', () => {
    const text = Array.from({ length: 100_000 }, (_, i) => `[r${i % 50_000}]\n${i < 50_000 ? 'enabled=0' : 'autorefresh=1'}\n`).join('');
    const repos = parseRepoFile(text, 'x.repo');
    expect(repos).toHaveLength(50_000);
    expect(repos[49_999]).toMatchObject({ alias: 'r49999', enabled: false, autorefresh: true });
  });

  it('gives no repositories for an empty file', () => {
    expect(parseRepoFile('', 'x.repo')).toEqual([]);
    expect(parseRepoFile('# only comments\n\n', 'x.repo')).toEqual([]);
  });
});

describe('cache directory names', () => {
  it.each([
    ['SLE_Module_Live_Patching_15_SP6_x86_64:SLE-Module-Live-Patching15-SP6-Updates', 'SLE_Module_Live_Patching_15_SP6_x86_64:SLE-Module-Live-Patching15-SP6-Updates'],
    ['susemanager:sle-module-live-patching15-sp6-updates-x86_64', 'susemanager:sle-module-live-patching15-sp6-updates-x86_64'],
    ['a/b/c', 'a_b_c'],
    ['with space', 'with space'],
    ['..', undefined],
    ['.', undefined],
    ['', undefined],
    ['a\0b', undefined],
    ['/', '_'],
  ])('alias %j → %j', (alias, dir) => {
    expect(escapedAlias(alias)).toBe(dir);
  });

  it.each([
    ['/', ''],
    ['/sub/dir/', 'sub/dir'],
    ['./x', 'x'],
    ['/a/../../etc', undefined],
    ['..', undefined],
  ])('path=%j → %j', (p, sub) => {
    expect(repoSubPath(p)).toBe(sub);
  });
});

describe('parseZyppConf', () => {
  it('uses the defaults when the keys are absent or commented out', () => {
    expect(parseZyppConf('[main]\n# cachedir = /srv/cache\n', 'zypp.conf')).toEqual({ reposDir: '/etc/zypp/repos.d', metadataDir: '/var/cache/zypp/raw' });
  });
  it('follows cachedir, metadatadir and reposdir', () => {
    expect(parseZyppConf('[main]\ncachedir = /srv/zypp/\n', 'zypp.conf')).toEqual({ reposDir: '/etc/zypp/repos.d', metadataDir: '/srv/zypp/raw' });
    expect(parseZyppConf('[main]\ncachedir=/srv/zypp\nmetadatadir=/m\nreposdir=/r\n', 'zypp.conf')).toEqual({ reposDir: '/r', metadataDir: '/m' });
  });
  it('rejects relative directories', () => {
    expect(() => parseZyppConf('[main]\n\nreposdir=etc/AaBbCcDdEe\n', 'zypp.conf')).toThrow(new FileContentError('zypp.conf', { line: 3, key: 'reposdir' }, 'must be an absolute path'));
    expect(() => parseZyppConf('[main]\n\nreposdir=etc/AaBbCcDdEe\n', 'zypp.conf')).toThrow('zypp.conf: line 3: key reposdir: must be an absolute path');
  });
});
