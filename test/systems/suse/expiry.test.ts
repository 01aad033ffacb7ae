// The expiry decision alone (chooseExpiry): which source wins, table by table, without a host.

import { describe, expect, it } from '@jest/globals';
import { parseLifecycleData } from '../../../src/parsers/lifecycle.js';
import type { RpmPackage } from '../../../src/parsers/rpm.js';
import { chooseExpiry, type ExpiryEvidence, type ZypperAnswer } from '../../../src/systems/suse/lifecycle.js';

const day = (s: string) => Date.parse(`${s}T00:00:00Z`);
const NAME = 'kernel-livepatch-6_4_0-150600_23_25-default';
const SLE12 = 'kgraft-patch-6_4_0-150600_23_25-default';
const installed: RpmPackage = { name: NAME, version: '3', release: '150600.13.9.1', arch: 'x86_64', buildTime: 0, installTime: 0 };
const data = (...lines: string[]) => parseLifecycleData(lines.join('\n'), 'test.lifecycle').entries;
const zypper = (answer: ZypperAnswer['answer'], at = '2025-06-01'): ZypperAnswer => ({ answer, atMs: day(at) });

const base: ExpiryEvidence = {
  lifecycleEntries: [],
  candidateNames: [NAME, SLE12],
  installed,
  zypper: undefined,
  kernelBuildTimeMs: day('2024-10-17'),
  fallbackMonths: 13,
};

describe('chooseExpiry', () => {
  it.each<[string, Partial<ExpiryEvidence>, { at: string; source: string; ended?: true } | undefined]>([
    ['lifecycle data wins over everything', { lifecycleEntries: data(`${NAME},*,2025-10-17`), zypper: zypper({ kind: 'date', date: day('2026-01-01') }) }, { at: '2025-10-17', source: 'lifecycle' }],
    ['the last matching data line wins', { lifecycleEntries: data(`${NAME},*,2025-10-17`, `${NAME},3-*,2025-12-01`) }, { at: '2025-12-01', source: 'lifecycle' }],
    ['a line for another edition does not apply', { lifecycleEntries: data(`${NAME},4-*,2025-12-01`) }, { at: '2025-11-17', source: 'kernel-build-time' }],
    ['a successor line without a date is no date', { lifecycleEntries: data(`${NAME},*,,kernel-livepatch-x`) }, { at: '2025-11-17', source: 'kernel-build-time' }],
    ['nothing installed: data for a candidate name (SLE 12 spelling)', { installed: undefined, lifecycleEntries: data(`${SLE12},*,2025-09-01`) }, { at: '2025-09-01', source: 'lifecycle' }],
    ['nothing installed: neither zypper nor the build time speak', { installed: undefined, zypper: zypper({ kind: 'date', date: day('2026-01-01') }) }, undefined],
    ['zypper gives a date', { zypper: zypper({ kind: 'date', date: day('2025-10-24') }) }, { at: '2025-10-24', source: 'zypper' }],
    ['zypper says "Now": the time it was asked', { zypper: zypper({ kind: 'ended' }, '2025-05-30') }, { at: '2025-05-30', source: 'zypper', ended: true }],
    ['zypper says "Now" for an available update: not an end, the build time', { zypper: zypper({ kind: 'update-available' }) }, { at: '2025-11-17', source: 'kernel-build-time' }],
    ['zypper knows no date: the build time', { zypper: zypper({ kind: 'none', text: 'n/a*' }) }, { at: '2025-11-17', source: 'kernel-build-time' }],
    ['zypper says not installed: the build time', { zypper: zypper(undefined) }, { at: '2025-11-17', source: 'kernel-build-time' }],
    ['build time + 13 months (the SUSE support window)', {}, { at: '2025-11-17', source: 'kernel-build-time' }],
    ['month ends are clamped', { kernelBuildTimeMs: day('2024-01-31'), fallbackMonths: 1 }, { at: '2024-02-29', source: 'kernel-build-time' }],
    ['fallback off', { fallbackMonths: 0 }, undefined],
    ['no kernel package', { kernelBuildTimeMs: undefined }, undefined],
  ])('%s', (_name, change, want) => {
    const got = chooseExpiry({ ...base, ...change });
    expect(got).toEqual(want === undefined ? undefined : { atMs: day(want.at), source: want.source, ...(want.ended ? { ended: true } : {}) });
  });
});
