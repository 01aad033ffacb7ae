import { describe, expect, it } from '@jest/globals';
import { ParseError } from '../../src/errors.js';
import { parseKernelRelease, parseOsRelease, parseProcVersion } from '../../src/parsers/kernel.js';
import { parseTainted } from '../../src/parsers/taint.js';
import { parseSysfsFlag, parseSysfsInteger } from '../../src/parsers/sysfs.js';

describe('parseKernelRelease', () => {
  it.each([
    ['6.4.0-150600.23.25-default\n', '6.4.0', '150600.23.25', 'default'],
    ['6.4.0-150600.21-default', '6.4.0', '150600.21', 'default'],
    ['6.4.0-150600.10.20-rt', '6.4.0', '150600.10.20', 'rt'],
    ['6.4.0-150600.23.81-cxlraw-default', '6.4.0', '150600.23.81', 'cxlraw-default'],
    ['4.12.14-122.231-default', '4.12.14', '122.231', 'default'],
    ['6.12.0-160000.5-default', '6.12.0', '160000.5', 'default'],
    ['5.15.0-91-generic', '5.15.0', '91', 'generic'],
    ['6.13.0-2.g0127a37-default', '6.13.0', '2.g0127a37', 'default'],
    ['6.5.6-300.fc39.x86_64', '6.5.6', '300.fc39.x86_64', ''],
    ['6.1', '6.1', '', ''],
  ])('%s', (text, version, revision, flavor) => {
    expect(parseKernelRelease(text)).toEqual({ release: text.trim(), version, revision, flavor });
  });

  it.each(['', 'linux', 'six.four', '6.4.0 extra words', '6.4.0-1\n6.4.0-2', 'x'.repeat(300)])('rejects %j', (text) => {
    expect(() => parseKernelRelease(text)).toThrow(ParseError);
  });

  it('reads the release from /proc/version', () => {
    const line = 'Linux version 6.4.0-150600.23.25-default (geeko@buildhost) (gcc (SUSE Linux) 7.5.0) #1 SMP PREEMPT_DYNAMIC Thu Oct 17 11:47:42 UTC 2024 (7ab6c3a)\n';
    expect(parseProcVersion(line).revision).toBe('150600.23.25');
    expect(() => parseProcVersion('garbage')).toThrow('does not start with "Linux version"');
  });
});

describe('parseOsRelease', () => {
  it('reads quoted, unquoted and escaped values, skipping comments and junk', () => {
    const os = parseOsRelease('# comment\nNAME="SLES"\nVERSION_ID="15.6"\r\nPRETTY_NAME="SUSE \\"Linux\\" Enterprise Server 15 SP6"\nID=sles\nnot an assignment\nVARIANT=\'x y\'\n');
    expect(os).toMatchObject({ id: 'sles', versionId: '15.6', prettyName: 'SUSE "Linux" Enterprise Server 15 SP6' });
    expect(os.fields.VARIANT).toBe('x y');
  });
  it('falls back to NAME and defaults', () => {
    expect(parseOsRelease('NAME=Foo\n')).toMatchObject({ id: 'linux', versionId: '', prettyName: 'Foo' });
  });
  it('rejects a file without assignments', () => {
    expect(() => parseOsRelease('\u0000\u0001 binary junk')).toThrow(ParseError);
  });
});

describe('parseTainted', () => {
  it.each([
    ['0\n', 0, false],
    ['32768\n', 32768, true],
    ['36864', 36864, true],
    ['2147516416\n', 2147516416, true],
    ['4096', 4096, false],
    ['262144', 262144, false],
  ])('%j', (text, value, livepatch) => {
    expect(parseTainted(text)).toEqual({ value, livepatch });
  });
  it.each(['', 'K', '-1', '12.5', '0x8000', '99999999999999999999999'])('rejects %j', (text) => {
    expect(() => parseTainted(text)).toThrow(ParseError);
  });
});

describe('sysfs values', () => {
  it('reads flags and integers written as "%d\\n"', () => {
    expect(parseSysfsFlag('1\n', 'f')).toBe(1);
    expect(parseSysfsFlag('0', 'f')).toBe(0);
    expect(parseSysfsInteger('2\n', 'f')).toBe(2);
  });
  it.each(['', 'garbage', '2', '-1', '1 1'])('rejects flag %j naming the file', (text) => {
    expect(() => parseSysfsFlag(text, '/sys/kernel/livepatch/p/enabled')).toThrow(/^\/sys\/kernel\/livepatch\/p\/enabled: expected 0 or 1/);
  });
});
