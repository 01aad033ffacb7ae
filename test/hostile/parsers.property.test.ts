// Property-based tests of every parser: hostile text in, a value or a typed ParseError out —
// never another exception, never a slow run (see RUN_BUDGET_MS) — plus a few invariants of the
// values that come out.

import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parseDuration } from '../../src/config/duration.js';
import { ExporterError, ParseError } from '../../src/errors.js';
import { addMonthsUtc, parseIsoDate } from '../../src/parsers/date.js';
import { parseKernelRelease, parseOsRelease, parseProcVersion } from '../../src/parsers/kernel.js';
import { parseKlpPatches, parseKlpStatus } from '../../src/parsers/klp.js';
import { findLifecycleEntry, globMatcher, parseLifecycleData, parseZypperLifecycle } from '../../src/parsers/lifecycle.js';
import { parseNvra, parseRpmQuery, rpmVerCmp } from '../../src/parsers/rpm.js';
import { parseKlpChangelog, parseLivepatchPackageName, parseSuseModuleName } from '../../src/systems/suse/names.js';
import { parseSysfsFlag, parseSysfsInteger } from '../../src/parsers/sysfs.js';
import { parseTainted } from '../../src/parsers/taint.js';
import { PrimaryScanner, UpdateinfoScanner, parseRepomd, repomdLocation } from '../../src/parsers/rpm-md.js';
import { escapedAlias, parseRepoFile, parseZyppConf, repoSubPath } from '../../src/systems/suse/zypp-repos.js';
import { parseZypperSearch } from '../../src/systems/suse/zypper-search.js';
import { HOSTS } from '../helpers/fixture-host.js';
import { hostileText, returnsOrTypedError, RUNS, withinBudget } from './arbitraries.js';

const fixture = (host: string, rel: string) => readFileSync(path.join(HOSTS, host, rel), 'utf8');
const P = 'sles15sp6-patched';
const R = 'sles15sp6-repo-disabled';
const LP_ALIAS = 'SLE_Module_Live_Patching_15_SP6_x86_64:SLE-Module-Live-Patching15-SP6-Updates';
const fixtureFile = (host: string, dir: string, prefix: string) => {
  const d = path.join(HOSTS, host, dir);
  return readFileSync(
    path.join(
      d,
      readdirSync(d).find((n) => n.startsWith(prefix))!,
    ),
    'utf8',
  );
};
const gunzipFixture = (host: string, dir: string, suffix: string) => {
  const d = path.join(HOSTS, host, dir);
  return gunzipSync(
    readFileSync(
      path.join(
        d,
        readdirSync(d).find((n) => n.endsWith(suffix))!,
      ),
    ),
  ).toString('utf8');
};
const SAMPLES = {
  osrelease: fixture(P, 'root/proc/sys/kernel/osrelease'),
  version: fixture(P, 'root/proc/version'),
  osRelease: fixture(P, 'root/etc/os-release'),
  tainted: fixture(P, 'root/proc/sys/kernel/tainted'),
  klpPatches: fixture(P, 'cmd/klp_-v_patches.out') + fixture('malformed-outputs', 'cmd/klp_-v_patches.out'),
  klpStatus: fixture(P, 'cmd/klp_status.out'),
  rpmQa: fixture(P, 'cmd/rpm_-qa.out'),
  lifecycle: fixture(P, 'root/usr/share/lifecycle/data/sle-module-live-patching.lifecycle') + fixture('malformed-outputs', 'root/usr/share/lifecycle/data/sle-module-live-patching.lifecycle'),
  zypper: fixture('sles15sp6-zypper', 'cmd/zypper_lifecycle_kernel-livepatch-6_4_0-150600_23_25-default.out'),
  repoFile: fixture(R, 'root/etc/zypp/repos.d/klp-test.repo') + fixture(R, `root/etc/zypp/repos.d/${LP_ALIAS}.repo`),
  repomd: fixture(R, `root/var/cache/zypp/raw/${LP_ALIAS}/repodata/repomd.xml`),
  primary: gunzipFixture(R, `root/var/cache/zypp/raw/${LP_ALIAS}/repodata`, '-primary.xml.gz'),
  updateinfo: gunzipFixture(R, `root/var/cache/zypp/raw/${LP_ALIAS}/repodata`, '-updateinfo.xml.gz'),
  changelog: '* Mon Jun 02 2025 geeko@suse.com\n- Fix CVE-2024-50115\n  KLP: CVE-2024-50115 bsc#1232345\n  References: bsc#1232345 CVE-2024-50115\n',
};
const PKG = 'kernel-livepatch-6_4_0-150600_23_25-default';
// endOnFailure: a run that blows up is not run again and again while shrinking.
const params = { numRuns: RUNS, endOnFailure: true };

/** A cheap assertion for hot property bodies (jest's expect costs more than the parsers). */
function ok(cond: boolean, what: () => string): void {
  if (!cond) throw new Error(`property violated: ${what()}`);
}

/** The value, or fails the property when a ParseError-typed error is not what was thrown. */
function parse<T>(fn: () => T): T | undefined {
  const out = returnsOrTypedError(fn);
  if (out instanceof ExporterError) {
    if (!(out instanceof ParseError)) throw new Error(`expected a ParseError, got ${out.name}: ${out.message}`);
    return undefined;
  }
  return out;
}

/** Parsers that never throw at all: any exception is a failure. */
function total<T>(fn: () => T): T {
  const out = returnsOrTypedError(fn);
  if (out instanceof ExporterError) throw new Error(`a total parser threw: ${out.message}`);
  return out;
}

describe('parsers on hostile input (fast-check, 10,000 runs each)', () => {
  it('sysfs flag and integer', () => {
    fc.assert(
      fc.property(hostileText('1\n', '0\n', '42\n'), (t) => {
        const f = parse(() => parseSysfsFlag(t, 'enabled'));
        if (f !== undefined) ok([0, 1].includes(f), () => `f = ${String(f)}`);
        const n = parse(() => parseSysfsInteger(t, 'stack_order'));
        if (n !== undefined) ok(Number.isSafeInteger(n) && n >= 0, () => 'Number.isSafeInteger(n) && n >= 0');
      }),
      params,
    );
  });

  it('taint', () => {
    fc.assert(
      fc.property(hostileText(SAMPLES.tainted, '18446744073709551615\n', '18446744073709551616\n'), (t) => {
        const v = parse(() => parseTainted(t));
        if (v !== undefined) ok(Number.isFinite(v.value) && v.value >= 0, () => 'Number.isFinite(v.value) && v.value >= 0');
      }),
      params,
    );
  });

  it('kernel release and /proc/version', () => {
    fc.assert(
      fc.property(hostileText(SAMPLES.osrelease, SAMPLES.version, '6.4.0-150600.23.81-cxlraw-default\n'), (t) => {
        for (const k of [parse(() => parseKernelRelease(t)), parse(() => parseProcVersion(t))]) {
          if (k === undefined) continue;
          ok(/^\S{1,256}$/.test(k.release), () => `k.release = ${JSON.stringify(k.release)}`);
          ok([k.version, k.revision, k.flavor].filter((x) => x !== '').join('-') === k.release, () => `parts do not join to ${JSON.stringify(k.release)}`);
        }
      }),
      params,
    );
  });

  it('os-release', () => {
    fc.assert(
      fc.property(hostileText(SAMPLES.osRelease), (t) => {
        const os = parse(() => parseOsRelease(t));
        if (os === undefined) return;
        for (const v of [os.id, os.versionId, os.prettyName, ...Object.values(os.fields)]) ok(!v.includes('\n'), () => `newline in ${JSON.stringify(v)}`);
      }),
      params,
    );
  });

  it('klp status', () => {
    fc.assert(
      fc.property(hostileText(SAMPLES.klpStatus, 'in_progress\n'), (t) => {
        const s = parse(() => parseKlpStatus(t));
        if (s !== undefined) ok(['ready', 'in_progress'].includes(s), () => `s = ${String(s)}`);
      }),
      params,
    );
  });

  it('klp -v patches', () => {
    fc.assert(
      fc.property(hostileText(SAMPLES.klpPatches), (t) => {
        const r = parse(() => parseKlpPatches(t));
        if (r === undefined) return;
        for (const p of r.patches) {
          ok(/^[A-Za-z0-9_-]{1,200}$/.test(p.module), () => `p.module = ${JSON.stringify(p.module)}`);
          for (const c of p.cves) ok(/^CVE-\d{4}-\d{4,}$/.test(c), () => `c = ${JSON.stringify(c)}`);
          for (const b of p.bugs) ok(/^[a-z]{2,4}#\d{1,10}$/.test(b), () => `b = ${JSON.stringify(b)}`);
        }
      }),
      params,
    );
  });

  it('rpm -qa query output', () => {
    fc.assert(
      fc.property(hostileText(SAMPLES.rpmQa), (t) => {
        const pkgs = parse(() => parseRpmQuery(t));
        for (const p of pkgs ?? []) {
          for (const v of [p.name, p.version, p.release]) ok(/^[A-Za-z0-9._+~^-]{1,200}$/.test(v), () => `v = ${JSON.stringify(v)}`);
          ok(Number.isSafeInteger(p.buildTime) && Number.isSafeInteger(p.installTime), () => 'Number.isSafeInteger(p.buildTime) && Number.isSafeInteger(p.installTime)');
        }
      }),
      params,
    );
  });

  it('package names, NVRA, module names and the changelog never throw', () => {
    const names = hostileText(PKG, `${PKG}-3-150600.13.9.1.x86_64`, 'livepatch_3_150600_13_9_1', SAMPLES.changelog);
    fc.assert(
      fc.property(names, (t) => {
        total(() => parseLivepatchPackageName(t));
        total(() => parseNvra(t));
        const m = total(() => parseSuseModuleName(t));
        if (m) ok(Number.isFinite(m.version), () => 'Number.isFinite(m.version)');
        const c = total(() => parseKlpChangelog(t));
        for (const cve of c.cves) ok(/^CVE-\d{4}-\d{4,}$/.test(cve), () => `cve = ${JSON.stringify(cve)}`);
      }),
      params,
    );
  });

  it('rpmVerCmp is a total, antisymmetric comparison', () => {
    const ver = hostileText('150600.13.9.1', '1.0~rc1', '1.0^git1', '6.4.0');
    fc.assert(
      fc.property(ver, ver, (a, b) => {
        const ab = total(() => rpmVerCmp(a, b));
        const ba = total(() => rpmVerCmp(b, a));
        ok([-1, 0, 1].includes(ab), () => `ab = ${String(ab)}`);
        ok(ab === -ba || (ab === 0 && ba === 0), () => 'ab === -ba || (ab === 0 && ba === 0)');
        ok(rpmVerCmp(a, a) === 0, () => 'rpmVerCmp(a, a) === 0');
      }),
      params,
    );
  });

  it('lifecycle data never throws, and matching stays fast', () => {
    fc.assert(
      fc.property(hostileText(SAMPLES.lifecycle, `${PKG},${'*a'.repeat(12)}b,2025-01-01`, `${PKG},*?*?*?*?*?*?*?*?*?*?*?x,2025-01-01`), (t) => {
        const data = total(() => parseLifecycleData(t, 'x.lifecycle'));
        for (const e of data.entries) if (e.date !== undefined) ok(Number.isFinite(e.date), () => 'Number.isFinite(e.date)');
        total(() => findLifecycleEntry(data.entries, PKG, `3-150600.13.9.1${'a'.repeat(30)}`));
        total(() => findLifecycleEntry(data.entries, PKG, undefined));
      }),
      params,
    );
  });

  it('zypper lifecycle', () => {
    fc.assert(
      fc.property(hostileText(SAMPLES.zypper, `${PKG} Now\n`, `${PKG} n/a*\n`, `${PKG} -\n`), (t) => {
        const z = parse(() => parseZypperLifecycle(t, PKG));
        if (z?.kind === 'date') ok(Number.isFinite(z.date), () => 'Number.isFinite(z.date)');
      }),
      params,
    );
  });

  it('zypp .repo files and zypp.conf', () => {
    fc.assert(
      fc.property(hostileText(SAMPLES.repoFile, '[main]\ncachedir = /var/cache/zypp\nreposdir=/etc/zypp/repos.d\n'), (t) => {
        for (const r of parse(() => parseRepoFile(t, 'x.repo')) ?? []) {
          ok(r.alias !== '' && !r.alias.includes('\n'), () => `alias = ${JSON.stringify(r.alias)}`);
          const dir = escapedAlias(r.alias);
          if (dir !== undefined) ok(!dir.includes('/') && dir !== '..' && dir !== '.', () => `dir = ${JSON.stringify(dir)}`);
          const sub = repoSubPath(r.path);
          if (sub !== undefined) ok(!sub.split('/').includes('..'), () => `sub = ${JSON.stringify(sub)}`);
        }
        const dirs = parse(() => parseZyppConf(t, 'zypp.conf'));
        if (dirs) ok(dirs.reposDir.startsWith('/') && dirs.metadataDir.startsWith('/'), () => JSON.stringify(dirs));
      }),
      params,
    );
  });

  it('repomd.xml', () => {
    fc.assert(
      fc.property(hostileText(SAMPLES.repomd), (t) => {
        const repomd = parse(() => parseRepomd(t, 'repomd.xml'));
        if (!repomd) return;
        for (const type of ['primary', 'updateinfo']) {
          const href = parse(() => repomdLocation(repomd, type, 'repomd.xml'));
          if (href !== undefined) ok(!href.startsWith('/') && !href.split('/').includes('..'), () => `href = ${JSON.stringify(href)}`);
        }
      }),
      params,
    );
  });

  it('primary.xml and updateinfo.xml, streamed in random pieces', () => {
    const wanted = new Set([PKG]);
    fc.assert(
      fc.property(hostileText(SAMPLES.primary, SAMPLES.updateinfo), fc.integer({ min: 1, max: 5000 }), (t, piece) => {
        // Pieces of any size, but at most 200 of them (one-character pieces of a 100k-character input
        // would measure the per-call cost, not the parser).
        const step = Math.max(piece, Math.ceil(t.length / 200));
        const feed = (s: { write(x: string): void; end(): void }) => {
          for (let i = 0; i < t.length; i += step) s.write(t.slice(i, i + step));
          s.end();
        };
        const ps = new PrimaryScanner('primary.xml', wanted);
        if (parse(() => feed(ps)) !== undefined || ps.packages.length > 0) {
          for (const p of ps.packages) ok(p.name === PKG && /^[A-Za-z0-9._+~^]{1,200}$/.test(p.version) && /^[A-Za-z0-9._+~^]{1,200}$/.test(p.release), () => JSON.stringify(p));
        }
        const us = new UpdateinfoScanner('updateinfo.xml', wanted);
        parse(() => feed(us));
        for (const a of us.advisories) {
          ok(a.id !== '' && a.id.length <= 200 && a.packages.every((p) => p.name === PKG), () => JSON.stringify(a));
          for (const c of a.cves) ok(/^CVE-\d{4}-\d{4,}$/.test(c), () => `c = ${JSON.stringify(c)}`);
        }
      }),
      params,
    );
  });

  it('zypper --xmlout search output', () => {
    const sample = fixtureFile('sles15sp6-repo-zypper-fallback', 'cmd', 'zypper_--xmlout_search');
    fc.assert(
      fc.property(hostileText(sample), (t) => {
        for (const h of parse(() => parseZypperSearch(t, new Set([PKG]), 'zypper')) ?? []) {
          ok(h.pkg.name === PKG && h.repository !== '(System Packages)' && /^\d{1,9}$/.test(h.pkg.epoch), () => JSON.stringify(h));
        }
      }),
      params,
    );
  });

  it('dates and durations never throw', () => {
    fc.assert(
      fc.property(hostileText('2025-10-17', '0000-01-01', '9999-12-31', '1h30m', '500ms', '0'), fc.integer({ min: -1200, max: 1200 }), (t, months) => {
        const d = total(() => parseIsoDate(t));
        if (d !== undefined) ok(Number.isFinite(total(() => addMonthsUtc(d, months))), () => 'Number.isFinite(total(() => addMonthsUtc(d, months)))');
        const ms = total(() => parseDuration(t));
        if (ms !== undefined) ok(Number.isSafeInteger(ms) && ms >= 0, () => 'Number.isSafeInteger(ms) && ms >= 0');
      }),
      params,
    );
  });
});

describe('lifecycle globs', () => {
  // Found by the property above: globs were compiled to regular expressions, and
  // "kernel-livepatch-…,*?*?*?*?*?*?*?*?*?*?*?x,2025-01-01" took 114 s to (not) match one edition.
  it('match in linear time where a RegExp backtracks exponentially', () => {
    withinBudget(() => {
      expect(globMatcher(`${'*a'.repeat(20)}b`).test('a'.repeat(60))).toBe(false);
      expect(globMatcher(`${'*?'.repeat(20)}x`).test('3-150600.13.9.1'.repeat(4))).toBe(false);
    }, 50);
  });

  it('agree with the equivalent regular expression on small inputs', () => {
    const glob = fc.string({ unit: fc.constantFrom('a', 'b', '.', '-', '*', '?'), maxLength: 8 });
    const text = fc.string({ unit: fc.constantFrom('a', 'b', '.', '-'), maxLength: 10 });
    fc.assert(
      fc.property(glob, text, (g, t) => {
        const re = new RegExp(
          `^${g
            .replace(/[.+^${}()|[\]\\-]/g, '\\$&')
            .replace(/\*/g, '.*')
            .replace(/\?/g, '.')}$`,
        );
        ok(globMatcher(g).test(t) === re.test(t), () => `${g} vs ${t}`);
      }),
      params,
    );
  });
});
