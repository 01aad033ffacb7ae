import { describe, expect, it } from '@jest/globals';
import { ParseError } from '../../src/errors.js';
import { compareVersionRelease, parseNvra, parseRpmQuery, rpmVerCmp } from '../../src/parsers/rpm.js';
import { livepatchPackageNamesFor, moduleNamesFor, parseKlpChangelog, parseLivepatchPackageName, parseSuseModuleName } from '../../src/systems/suse/names.js';
import { parseKernelRelease } from '../../src/parsers/kernel.js';

describe('parseRpmQuery', () => {
  it('reads one package a line', () => {
    const text = 'kernel-livepatch-6_4_0-150600_23_25-default\t3\t150600.13.9.1\tx86_64\t1747382400\t1748000000\nkernel-default\t6.4.0\t150600.23.25.1\tx86_64\t1729165662\t(none)\n';
    expect(parseRpmQuery(text)).toEqual([
      { name: 'kernel-livepatch-6_4_0-150600_23_25-default', version: '3', release: '150600.13.9.1', arch: 'x86_64', buildTime: 1747382400, installTime: 1748000000 },
      { name: 'kernel-default', version: '6.4.0', release: '150600.23.25.1', arch: 'x86_64', buildTime: 1729165662, installTime: 0 },
    ]);
  });
  it('accepts empty output and CRLF', () => {
    expect(parseRpmQuery('')).toEqual([]);
    expect(parseRpmQuery('a\t1\t2\tnoarch\t3\t4\r\n')).toHaveLength(1);
  });
  it.each([
    ['error: rpmdb: BDB0113 Thread died\n', /line 1: expected 6 tab-separated fields, got 1/],
    ['a\t1\t2\tx86_64\tsoon\t4\n', /invalid build time/],
    ['a b\t1\t2\tx86_64\t3\t4\n', /invalid name/],
    ['a\t1\t2\tx86_64\t3\t4\textra\n', /got 7/],
    // rpm exiting 0 with its last record cut off: every record of the query format ends with a newline.
    ['a\t1\t2\tx86_64\t3\t1745000000\nb\t1\t2\tx86_64\t3\t17', /line 2: record cut off \(no newline\)/],
    ['a\t1\t2\tx86_64\t3\t4', /line 1: record cut off/],
    ['a\t1\t2\tx86_64\t3\t4\r', /line 1: record cut off/],
  ])('rejects %j', (text, message) => {
    expect(() => parseRpmQuery(text, 'rpm -qa')).toThrow(ParseError);
    expect(() => parseRpmQuery(text, 'rpm -qa')).toThrow(message);
  });
});

describe('live patch package names', () => {
  it.each([
    ['kernel-livepatch-6_4_0-150600_23_25-default', { prefix: 'kernel-livepatch', kernelVersion: '6.4.0', kernelRevision: '150600.23.25', flavor: 'default' }],
    ['kernel-livepatch-6_4_0-150600_21-default', { prefix: 'kernel-livepatch', kernelVersion: '6.4.0', kernelRevision: '150600.21', flavor: 'default' }],
    ['kernel-livepatch-5_14_21-150500_13_55-rt', { prefix: 'kernel-livepatch', kernelVersion: '5.14.21', kernelRevision: '150500.13.55', flavor: 'rt' }],
    ['kgraft-patch-3_12_60-52_49-default', { prefix: 'kgraft-patch', kernelVersion: '3.12.60', kernelRevision: '52.49', flavor: 'default' }],
    ['kernel-livepatch-4_12_14-23-default', { prefix: 'kernel-livepatch', kernelVersion: '4.12.14', kernelRevision: '23', flavor: 'default' }],
  ])('%s', (name, parts) => {
    expect(parseLivepatchPackageName(name)).toEqual(parts);
  });
  it.each([
    'kernel-livepatch-tools',
    'kernel-livepatch-tools-devel',
    'kernel-livepatch-6_4_0-150600_23_25-default-debuginfo',
    'kernel-livepatch-SLE15-SP6_Update_5-debugsource',
    'kernel-livepatch-SLE15-SP6_Update_5',
    'kernel-default-livepatch',
    'kernel-livepatch-6_4_0-150600_23_25-devel',
  ])('ignores %s', (name) => {
    expect(parseLivepatchPackageName(name)).toBeUndefined();
  });
  it('derives the package names of a running kernel', () => {
    expect(livepatchPackageNamesFor(parseKernelRelease('6.4.0-150600.23.25-default'))).toEqual(['kernel-livepatch-6_4_0-150600_23_25-default', 'kgraft-patch-6_4_0-150600_23_25-default']);
    expect(livepatchPackageNamesFor(parseKernelRelease('6.1'))).toEqual([]);
  });
  it('derives module names from VERSION and RELEASE and back', () => {
    expect(moduleNamesFor({ version: '3', release: '150600.13.9.1' })).toContain('livepatch_3_150600_13_9_1');
    expect(parseSuseModuleName('livepatch_6_150400_2_2')).toEqual({ version: 6, release: '150400.2.2' });
    expect(parseSuseModuleName('kpatch_5_14_0_284_11_1_1_1')).toBeUndefined();
    expect(parseSuseModuleName('livepatch_sample')).toBeUndefined();
  });
  it('splits an NVRA', () => {
    expect(parseNvra('kernel-livepatch-6_4_0-150600_23_25-default-3-150600.13.9.1.x86_64')).toEqual({
      name: 'kernel-livepatch-6_4_0-150600_23_25-default',
      version: '3',
      release: '150600.13.9.1',
      arch: 'x86_64',
    });
    expect(parseNvra('nonsense')).toBeUndefined();
  });
});

describe('rpmVerCmp', () => {
  it.each([
    ['1.0', '1.0', 0],
    ['1.0', '2.0', -1],
    ['2.0.1', '2.0', 1],
    ['150600.23.38.1', '150600.23.25.1', 1],
    ['150600.23.9', '150600.23.10', -1],
    ['10', '9', 1],
    ['1.0a', '1.0', 1],
    ['1.0~rc1', '1.0', -1],
    ['1.0^git1', '1.0', 1],
    ['001', '1', 0],
    ['a', '1', -1],
    ['1.0.', '1.0', 0],
  ])('%s vs %s', (a, b, want) => {
    expect(rpmVerCmp(a, b)).toBe(want);
    expect(rpmVerCmp(b, a)).toBe(want === 0 ? 0 : -want);
  });
  it('compares version, then release', () => {
    expect(compareVersionRelease({ version: '6.4.0', release: '150600.23.38.1' }, { version: '6.4.0', release: '150600.23.25.1' })).toBe(1);
  });
});

describe('parseKlpChangelog', () => {
  it('takes CVEs and bugs from KLP: trailers only', () => {
    const text =
      '* Mon Apr 28 2025 a@suse.com\n- Fix for CVE-2024-50115\n  KLP: CVE-2024-50115\n  References: bsc#1233019 CVE-2024-50115\n- Fix for bsc#1234567\n  KLP: bsc#1234567\n* Mon Nov 17 2014 b@suse.cz\n  References: bnc#904970 CVE-2014-0001\n';
    expect(parseKlpChangelog(text)).toEqual({ cves: ['CVE-2024-50115'], bugs: ['bsc#1234567'] });
    expect(parseKlpChangelog('')).toEqual({ cves: [], bugs: [] });
  });
});
