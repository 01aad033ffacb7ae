import { describe, expect, it } from '@jest/globals';
import { ParseError } from '../../src/errors.js';
import { parseKlpPatches, parseKlpStatus } from '../../src/parsers/klp.js';

describe('parseKlpStatus', () => {
  it.each([
    ['ready\n', 'ready'],
    ['in_progress\n', 'in_progress'],
    ['\n  ready  \r\n', 'ready'],
  ])('%j', (text, want) => {
    expect(parseKlpStatus(text)).toBe(want);
  });
  it.each(['', 'unknown\n', 'ready\nextra\n', 'Ready'])('rejects %j', (text) => {
    expect(() => parseKlpStatus(text)).toThrow(ParseError);
  });
});

describe('parseKlpPatches', () => {
  it('reads a normal patched system', () => {
    const text =
      'livepatch_3_150600_13_9_1\n    active: 1\n    RPM: kernel-livepatch-6_4_0-150600_23_25-default-3-150600.13.9.1.x86_64\n    CVE: CVE-2024-50115 CVE-2024-43882 CVE-2024-53042\n    bug fixes and enhancements: (none)\n';
    expect(parseKlpPatches(text)).toEqual({
      patches: [
        {
          module: 'livepatch_3_150600_13_9_1',
          active: true,
          rpm: { name: 'kernel-livepatch-6_4_0-150600_23_25-default', version: '3', release: '150600.13.9.1', arch: 'x86_64' },
          cves: ['CVE-2024-43882', 'CVE-2024-50115', 'CVE-2024-53042'],
          bugs: [],
          initial: false,
        },
      ],
      warnings: [],
    });
  });
  it('recognizes the initial patch marker', () => {
    const p = parseKlpPatches('livepatch_1_150600_13_3_1\n    active: 1\n    CVE: (none - this is an initial kernel live patch)\n    bug fixes and enhancements: (none)\n').patches[0]!;
    expect(p).toMatchObject({ initial: true, cves: [], rpm: undefined });
  });
  it('reads two blocks after an update, bug ids and unknown keys', () => {
    const text = 'livepatch_4_x\n    active: 1\n    CVE: CVE-2025-21999\n    bug fixes and enhancements: bsc#1234567 bsc#1234890\n    expiration: 2025-10-17\n\nlivepatch_3_x\n    active: 0\n';
    const { patches } = parseKlpPatches(text);
    expect(patches.map((p) => [p.module, p.active, p.bugs])).toEqual([
      ['livepatch_4_x', true, ['bsc#1234567', 'bsc#1234890']],
      ['livepatch_3_x', false, []],
    ]);
  });
  it('tolerates comments, CRLF, orphan fields and unreadable values, with warnings', () => {
    const text = '    active: 1\n# comment\r\nlivepatch_3_x\r\n    active: maybe\r\n    no colon here\n';
    const r = parseKlpPatches(text);
    expect(r.patches).toHaveLength(1);
    expect(r.patches[0]!.active).toBeUndefined();
    expect(r.warnings).toHaveLength(3);
  });
  it('returns nothing for empty output', () => {
    expect(parseKlpPatches('')).toEqual({ patches: [], warnings: [] });
  });
  it('rejects output that is not klp output', () => {
    expect(() => parseKlpPatches('Error: something went wrong\n')).toThrow(/line 1: not a module name/);
  });
});
