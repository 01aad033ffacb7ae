// A fixture host with one file at a time replaced by garbage, emptied, made unreadable, turned
// into a directory, a symlink loop or a FIFO that never delivers. The scrape still answers
// quickly; the collector that reads the file (and only it, plus the collectors that need its
// data) reports klp_scrape_collector_success 0; a log line names the file and the reason; every
// series that does not depend on the broken collector is exactly as on the intact host.
//
// "Unreadable" is real: as root every file is readable, so that part runs the built exporter as
// nobody (setpriv) against a copy of the host with the file at mode 000.

import { afterAll, describe, expect, it } from '@jest/globals';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import type { CollectorName } from '../../src/collectors/index.js';
import { startAsNobody } from '../helpers/as-user.js';
import { familyOf, parseExposition, type Samples } from '../helpers/exposition.js';
import { HOSTS, loadScenario, scenarioArgs, startInProcess, type Scenario } from '../helpers/fixture-host.js';

const HOST = 'sles15sp6-patched';
const PATCH = 'sys/kernel/livepatch/livepatch_3_150600_13_9_1';

/** The files the exporter reads on this host, and the collectors that must fail when one breaks. */
const FILES: ReadonlyArray<{ file: string; fails: CollectorName[] }> = [
  // The lifecycle collector needs the running kernel, so it cannot run either.
  { file: 'proc/sys/kernel/osrelease', fails: ['kernel', 'lifecycle', 'repositories'] },
  { file: 'etc/os-release', fails: ['kernel'] },
  { file: 'proc/sys/kernel/tainted', fails: ['taint'] },
  { file: `${PATCH}/enabled`, fails: ['livepatch'] },
  { file: `${PATCH}/transition`, fails: ['livepatch'] },
  { file: 'usr/share/lifecycle/data/sle-module-live-patching.lifecycle', fails: ['lifecycle'] },
];

/** A host with zypp repositories: each repository file broken in turn fails the repositories collector only. */
const REPO_HOST = 'sles15sp6-repo-update-available';
const LP_CACHE = 'var/cache/zypp/raw/SLE_Module_Live_Patching_15_SP6_x86_64:SLE-Module-Live-Patching15-SP6-Updates/repodata';
const lpFile = (suffix: string) => `${LP_CACHE}/${readdirSync(path.join(HOSTS, REPO_HOST, 'root', LP_CACHE)).find((n) => n.endsWith(suffix))!}`;
const REPO_FILES: ReadonlyArray<{ file: string; fails: CollectorName[]; modes?: readonly Mode[] }> = [
  // An empty .repo file is a valid file without repositories (libzypp reads it so too).
  { file: 'etc/zypp/repos.d/SLE_Module_Live_Patching_15_SP6_x86_64:SLE-Module-Live-Patching15-SP6-Updates.repo', fails: ['repositories'], modes: ['garbage', 'directory', 'symlink loop', 'fifo'] },
  { file: `${LP_CACHE}/repomd.xml`, fails: ['repositories'] },
  { file: lpFile('-primary.xml.gz'), fails: ['repositories'] },
  { file: lpFile('-updateinfo.xml.gz'), fails: ['repositories'] },
];
// Not read, so not broken here: proc/version (only without osrelease), the RPM database
// (only its modification time is used; rpm itself is the fake tool).

/** Which collectors each family's value depends on; health families are checked separately. */
const DEPENDS: Record<string, readonly CollectorName[]> = {
  klp_kernel_info: ['kernel'],
  klp_os_info: ['kernel'],
  klp_kernel_tainted: ['taint'],
  klp_kernel_tainted_livepatch: ['taint'],
  klp_livepatch_supported: ['livepatch'],
  klp_livepatch_state: ['livepatch'],
  klp_patch_enabled: ['livepatch'],
  klp_patch_transition: ['livepatch'],
  klp_patch_info: ['livepatch', 'packages', 'klp', 'kernel'],
  klp_patch_active_version: ['livepatch', 'packages', 'klp', 'kernel'],
  klp_packages_installed: ['packages'],
  klp_patch_installed_version: ['packages', 'kernel'],
  klp_kernel_newer_installed: ['packages', 'kernel'],
  klp_patch_cves: ['klp', 'livepatch', 'packages', 'kernel'],
  klp_patch_bugs: ['klp', 'livepatch', 'packages', 'kernel'],
  klp_patch_cve_info: ['klp', 'livepatch', 'packages', 'kernel'],
  klp_patch_expiry_timestamp_seconds: ['lifecycle', 'packages', 'kernel'],
  klp_patch_days_until_expiry: ['lifecycle', 'packages', 'kernel'],
  klp_patch_expiry_source: ['lifecycle', 'packages', 'kernel'],
  klp_repositories_enabled: ['repositories'],
  klp_repositories_ignored: ['repositories'],
  klp_repository_metadata_age_seconds: ['repositories'],
  klp_repository_autorefresh: ['repositories'],
  klp_patch_available_version: ['repositories', 'kernel'],
  klp_patch_available_info: ['repositories', 'kernel'],
  klp_patch_available_advisory_info: ['repositories', 'kernel'],
  klp_patch_available_cves_new: ['repositories', 'kernel', 'klp', 'livepatch', 'packages'],
  // Exporter families: never affected by a host file.
  klp_exporter_build_info: [],
  klp_exporter_config_last_reload_successful: [],
  klp_exporter_command_available: [],
  klp_exporter_command_runs_total: [],
};
const HEALTH = new Set(['klp_scrape_collector_success', 'klp_scrape_collector_duration_seconds', 'klp_scrape_collector_last_success_timestamp_seconds']);

type Mode = 'garbage' | 'empty' | 'unreadable' | 'directory' | 'symlink loop' | 'fifo';
const REASON: Record<Mode, RegExp> = {
  garbage: /./,
  empty: /./,
  unreadable: /permission denied/,
  directory: /is a directory/,
  'symlink loop': /too many levels of symbolic links/,
  fifo: /not a regular file/,
};

/** Deterministic binary garbage without "=" (os-release) and with a few line breaks. */
function garbage(): Buffer {
  const b = Buffer.alloc(600);
  let x = 12345;
  for (let i = 0; i < b.length; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    b[i] = i % 97 === 96 ? 0x0a : (x >> 16) & 0xff;
    if (b[i] === 0x3d || b[i] === 0x23) b[i] = 0x7e; // no "=", no "#"
  }
  return b;
}

function breakFile(root: string, rel: string, mode: Mode): void {
  const p = path.join(root, rel);
  switch (mode) {
    case 'garbage':
      return writeFileSync(p, garbage());
    case 'empty':
      return writeFileSync(p, '');
    case 'unreadable':
      return chmodSync(p, 0o000);
    case 'directory':
      rmSync(p);
      return mkdirSync(p);
    case 'symlink loop':
      rmSync(p);
      return symlinkSync(path.basename(p), p);
    case 'fifo':
      rmSync(p);
      execFileSync('mkfifo', [p]);
  }
}

// Created at load time: concurrent tests start before beforeAll hooks run.
const hosts = mkdtempSync(path.join(os.tmpdir(), 'klp-broken-'));
chmodSync(hosts, 0o755); // nobody must reach the copies
let copies = 0;
/**
 * A fresh copy of the host. Its rpm and klp replay the same recordings as the fake tool, but as
 * two-line shell scripts: starting Node.js three times per case was most of this suite's time.
 */
function copyHost(host = HOST): Scenario {
  const name = `${host}-${++copies}`;
  cpSync(path.join(HOSTS, host), path.join(hosts, name), { recursive: true });
  const s = loadScenario(name, hosts);
  const tool = (t: string, body: string) => {
    rmSync(path.join(s.bin, t));
    writeFileSync(path.join(s.bin, t), `#!/bin/sh\ncd '${path.join(s.dir, 'cmd')}' || exit 99\n${body}\n`, { mode: 0o755 });
  };
  tool('rpm', 'exec cat rpm_-qa.out');
  tool('klp', 'case "$1" in status) exec cat klp_status.out ;; -v) exec cat klp_-v_patches.out ;; esac; exit 99');
  return s;
}

afterAll(() => rmSync(hosts, { recursive: true, force: true }));

const failedCollectors = (s: Samples) =>
  [...s]
    .filter(([k, v]) => familyOf(k) === 'klp_scrape_collector_success' && v === 0)
    .map(([k]) => /collector="(\w+)"/.exec(k)![1])
    .sort();

/** Series of the broken scrape that must equal the intact one, given the collectors that failed. */
function expectUnaffectedUnchanged(intact: Samples, broken: Samples, failed: readonly string[]): void {
  const keys = new Set([...intact.keys(), ...broken.keys()]);
  const differences: string[] = [];
  for (const k of keys) {
    const fam = familyOf(k);
    if (HEALTH.has(fam)) continue;
    const deps = DEPENDS[fam];
    if (deps === undefined) throw new Error(`family ${fam} has no entry in DEPENDS: add it`);
    if (deps.some((c) => failed.includes(c))) continue;
    if (intact.get(k) !== broken.get(k)) differences.push(`${k}: ${intact.get(k)} → ${broken.get(k)}`);
  }
  expect(differences).toEqual([]);
}

const EXPIRY = new Set(['klp_patch_expiry_timestamp_seconds', 'klp_patch_days_until_expiry', 'klp_patch_expiry_source']);

/**
 * Never a made-up value: a series that depends on a failed collector is absent or as on the
 * intact host. One exception: without usable lifecycle data the expiry may come from a later
 * source (zypper, kernel build time), and then says so in klp_patch_expiry_source.
 */
function expectNoMadeUpValues(intact: Samples, broken: Samples, failed: readonly string[]): void {
  const madeUp: string[] = [];
  for (const [k, v] of broken) {
    const fam = familyOf(k);
    if (HEALTH.has(fam) || intact.get(k) === v) continue;
    if (EXPIRY.has(fam) && failed.includes('lifecycle') && broken.get('klp_patch_expiry_source{source="lifecycle"}') === 0) continue;
    madeUp.push(`${k}: ${intact.get(k)} → ${v}`);
  }
  expect(madeUp).toEqual([]);
}

async function scrape(url: string): Promise<{ samples: Samples; ms: number }> {
  const started = performance.now();
  const res = await fetch(`${url}/metrics`);
  const text = await res.text();
  const ms = performance.now() - started;
  expect(res.status).toBe(200);
  return { samples: parseExposition(text), ms };
}

/** The scrape of the intact host, taken once (memoized: the concurrent cases share it). */
function once(take: () => Promise<Samples>): () => Promise<Samples> {
  let p: Promise<Samples> | undefined;
  return () =>
    (p ??= take().then((samples) => {
      expect(failedCollectors(samples)).toEqual([]);
      return samples;
    }));
}

function brokenFiles(host: string, files: ReadonlyArray<{ file: string; fails: CollectorName[]; modes?: readonly Mode[] }>): void {
  describe(`broken files on ${host}`, () => {
    const intactScrape = once(async () => {
      const running = await startInProcess(copyHost(host));
      try {
        return (await scrape(running.url)).samples;
      } finally {
        await running.close();
      }
    });

    const cases = files.flatMap(({ file, fails, modes }) => (modes ?? (['garbage', 'empty', 'directory', 'symlink loop', 'fifo'] as const)).map((mode) => [file, mode, fails] as const));
    it.concurrent.each(cases)('%s: %s', async (file, mode, fails) => {
      const intact = await intactScrape();
      const s = copyHost(host);
      breakFile(s.root, file, mode);
      const running = await startInProcess(s);
      try {
        const { samples, ms } = await scrape(running.url);
        expect(ms).toBeLessThan(2000);
        expect(failedCollectors(samples)).toEqual([...fails].sort());
        expectUnaffectedUnchanged(intact, samples, fails);
        expectNoMadeUpValues(intact, samples, fails);
        const named = running.logs.filter((l) => l.includes(`/${file}`));
        expect(named.length).toBeGreaterThan(0);
        expect(named.join('\n')).toMatch(REASON[mode]);
        // As the host sees it, by every collector: never the exporter's path to the copy.
        expect(named.join('\n')).not.toContain(s.root);
      } finally {
        await running.close();
      }
    });
  });
}

brokenFiles(HOST, FILES);
brokenFiles(REPO_HOST, REPO_FILES);

describe(`unreadable files on ${HOST}, exporter running as nobody`, () => {
  const intactScrape = once(async () => {
    const p = await startAsNobody(scenarioArgs(copyHost()));
    try {
      return (await scrape(p.url)).samples;
    } finally {
      await p.stop();
    }
  });

  it.concurrent.each(FILES.map(({ file, fails }) => [file, fails] as const))('%s: permission denied', async (file, fails) => {
    const intact = await intactScrape();
    const s = copyHost();
    breakFile(s.root, file, 'unreadable');
    const p = await startAsNobody(scenarioArgs(s));
    try {
      const { samples, ms } = await scrape(p.url);
      expect(ms).toBeLessThan(2000);
      expect(failedCollectors(samples)).toEqual([...fails].sort());
      expectUnaffectedUnchanged(intact, samples, fails);
      expectNoMadeUpValues(intact, samples, fails);
      const named = p
        .stderr()
        .split('\n')
        .filter((l) => l.includes(`/${file}`));
      expect(named.join('\n')).toMatch(REASON.unreadable);
      expect(named.join('\n')).not.toContain(s.root);
    } finally {
      await p.stop();
    }
  });
});
