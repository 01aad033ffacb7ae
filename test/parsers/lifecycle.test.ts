import { describe, expect, it } from '@jest/globals';
import { ParseError } from '../../src/errors.js';
import { addMonthsUtc, parseIsoDate } from '../../src/parsers/date.js';
import { findLifecycleEntry, parseLifecycleData, parseZypperLifecycle } from '../../src/parsers/lifecycle.js';

const day = (s: string) => Date.parse(`${s}T00:00:00Z`);

describe('parseLifecycleData + findLifecycleEntry', () => {
  const text = [
    '# Last updated: 2025-06-02T08:15:00+00:00',
    '# format: name,version,date',
    '',
    'kernel-livepatch-6_4_0-150600_23_25-default,*,2025-10-17',
    '  kernel-livepatch-6_4_0-150600_23_38-default , * , 2026-01-08 ',
    'kernel-livepatch-*-rt,*,2025-11-05',
    '/^kgraft-patch-4_12_14-122_\\d+-default$/,*,2025-08-30',
    'kernel-livepatch-6_4_0-150600_23_25-default,3-*,2025-12-01',
    'kernel-livepatch-6_4_0-150600_21-default,*,,kernel-livepatch-6_4_0-150600_23_25-default',
    '"quoted-name",*,2025-01-02',
  ].join('\n');
  const { entries, problems } = parseLifecycleData(text, 'f.lifecycle');

  it('parses every usable line', () => {
    expect(problems).toEqual([]);
    expect(entries).toHaveLength(7);
  });
  it.each([
    ['kernel-livepatch-6_4_0-150600_23_38-default', '1-150600.13.3.1', '2026-01-08'],
    ['kernel-livepatch-6_4_0-150600_10_20-rt', '2-1', '2025-11-05'],
    ['kgraft-patch-4_12_14-122_231-default', '5-2.1', '2025-08-30'],
    // the last matching line wins: the version-specific line comes after the "*" one
    ['kernel-livepatch-6_4_0-150600_23_25-default', '3-150600.13.9.1', '2025-12-01'],
    ['kernel-livepatch-6_4_0-150600_23_25-default', '4-150600.13.12.1', '2025-10-17'],
    ['quoted-name', '1-1', '2025-01-02'],
  ])('%s %s → %s', (name, edition, date) => {
    expect(findLifecycleEntry(entries, name, edition)?.date).toBe(day(date));
  });
  it('without an installed edition only "*" lines apply', () => {
    expect(findLifecycleEntry(entries, 'kernel-livepatch-6_4_0-150600_23_25-default', undefined)?.date).toBe(day('2025-10-17'));
  });
  it('a successor line without a date has no date', () => {
    expect(findLifecycleEntry(entries, 'kernel-livepatch-6_4_0-150600_21-default', '1-1')?.date).toBeUndefined();
  });
  it('finds nothing for an unknown package', () => {
    expect(findLifecycleEntry(entries, 'kernel-livepatch-9_9_9-1-default', '1-1')).toBeUndefined();
  });
  it('reports bad lines with file and line number and keeps the rest', () => {
    const bad = parseLifecycleData('a,*,2025-13-40\nb,*\n/[/,*,2025-01-01\n"open,*,2025-01-01\nc,*,\nd,*,2025-02-30\ne,*,2025-03-01\n', 'x.lifecycle');
    expect(bad.entries.map((e) => e.name)).toEqual(['e']);
    expect(bad.problems).toEqual([
      'x.lifecycle: line 1: invalid date',
      'x.lifecycle: line 2: expected name,version,date[,successor]',
      'x.lifecycle: line 3: invalid regular expression',
      'x.lifecycle: line 4: expected name,version,date[,successor]',
      'x.lifecycle: line 5: no date and no successor',
    ]);
    // Only the first few are kept, all are counted.
    expect(bad.problemCount).toBe(6);
  });
  it('two million bad lines cost a count and five messages, with the right line numbers', () => {
    const text = `${'x\n'.repeat(2_000_000)}e,*,2025-03-01\n`;
    const data = parseLifecycleData(text, 'big.lifecycle');
    expect(data.problemCount).toBe(2_000_000);
    expect(data.problems).toHaveLength(5);
    expect(data.entries.map((e) => [e.name, e.line])).toEqual([['e', 2_000_001]]);
  });
  it('a run of lines parsed on its own keeps the line numbers of the file', () => {
    expect(parseLifecycleData('x\n', 'f', 41).problems).toEqual(['f: line 41: expected name,version,date[,successor]']);
  });
});

describe('parseZypperLifecycle', () => {
  const pkg = 'kernel-livepatch-6_4_0-150600_23_25-default';
  it.each([
    [`\nPackage end of support:\n${pkg} 2025-10-17                               \n\n`, { kind: 'date', date: day('2025-10-17') }],
    [`${pkg} 2025-10-17, installed 3-150600.13.9.1, update available 4-150600.13.12.1 2025-10-17\n`, { kind: 'date', date: day('2025-10-17') }],
    [`${pkg} Now                              \n`, { kind: 'ended' }],
    // "Now" also when an update is available and no end date applies (zypper-lifecycle's solve_package_eol):
    // not an end of support; the next source answers.
    [`\nPackage end of support:\n${pkg} Now, installed 3-150600.13.9.1, update available 4-150600.13.12.1 \n\n`, { kind: 'update-available' }],
    [`${pkg} Now, installed 3-150600.13.9.1, successor available kernel-livepatch-x-1-1 \n`, { kind: 'update-available' }],
    [`${pkg} n/a*\n\n*) See https://www.suse.com/lifecycle for latest information\n`, { kind: 'none', text: 'n/a*' }],
    [`${pkg} -\n`, { kind: 'none', text: '-' }],
  ])('%j', (text, want) => {
    expect(parseZypperLifecycle(text, pkg)).toEqual(want);
  });
  it.each([
    ['', /no line for/],
    [`${pkg}-debuginfo 2025-10-17\n`, /no line for/],
    [`${pkg} tomorrow\n`, /unknown end of support "tomorrow"/],
  ])('rejects %j', (text, message) => {
    expect(() => parseZypperLifecycle(text, pkg)).toThrow(ParseError);
    expect(() => parseZypperLifecycle(text, pkg)).toThrow(message);
  });
});

describe('dates', () => {
  it('parses real calendar dates only', () => {
    expect(parseIsoDate('2024-02-29')).toBe(day('2024-02-29'));
    expect(parseIsoDate('2025-02-29')).toBeUndefined();
    expect(parseIsoDate('2025-1-01')).toBeUndefined();
  });
  it('adds calendar months in UTC, clamping the day', () => {
    expect(new Date(addMonthsUtc(Date.parse('2024-10-17T11:47:42Z'), 13)).toISOString()).toBe('2025-11-17T11:47:42.000Z');
    expect(new Date(addMonthsUtc(Date.parse('2025-01-31T00:00:00Z'), 1)).toISOString()).toBe('2025-02-28T00:00:00.000Z');
  });
});
