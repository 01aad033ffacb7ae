// The rpm query format and changelog fallback against the real rpm: build empty packages with
// the names, versions, releases, build times and KLP: changelog lines of a SLES host, install
// them into a fixture root's database, and scrape the exporter with the real rpm.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { copyScenario, startInProcess, type RunningExporter } from './helpers/fixture-host.js';
import { buildRpm, which, type RpmSpec } from './helpers/rpm-repo.js';

type Pkg = RpmSpec;

const KERNEL_BUILD = 1729165662; // 2024-10-17T11:47:42Z
const PACKAGES: Pkg[] = [
  {
    name: 'kernel-livepatch-6_4_0-150600_23_25-default',
    version: '3',
    release: '150600.13.9.1',
    buildTime: 1747382400,
    changelog: [
      '* Fri May 16 2025 nstange@suse.de',
      '- Bump up the version number in spec file',
      '* Mon Apr 28 2025 vincenzo.mezzela@suse.com',
      '- Fix for CVE-2024-50115 ("KVM: nSVM: Ignore nCR3[4:0] when loading PDPTEs from memory")',
      '  KLP: CVE-2024-50115',
      '  References: bsc#1233019 CVE-2024-50115',
      '* Tue Mar 18 2025 mpdesouza@suse.com',
      '- Fix for CVE-2024-43882 ("exec: Fix ToCToU between perm check and set-uid/gid usage")',
      '  KLP: CVE-2024-43882',
      '  References: bsc#1229504 CVE-2024-43882',
      '* Mon Nov 17 2014 mbenes@suse.cz',
      '- Initial infrastructure',
      '  References: bnc#904970',
    ].join('\n'),
  },
  { name: 'kernel-livepatch-6_4_0-150600_23_38-default', version: '1', release: '150600.13.3.1', buildTime: 1733300000 },
  { name: 'kernel-livepatch-tools', version: '1.2', release: '150600.3.3.1', buildTime: 1718000000 },
  { name: 'kernel-default', version: '6.4.0', release: '150600.23.25.1', buildTime: KERNEL_BUILD },
  { name: 'kernel-default', version: '6.4.0', release: '150600.23.38.1', buildTime: 1733220000 },
  { name: 'kernel-azure', version: '6.4.0', release: '150600.8.11.1', buildTime: 1727000000 },
];

describe('with the real rpm', () => {
  let base: string;
  let top: string;
  let running: RunningExporter;
  let text: string;
  let rpm: string;
  let root: string;
  let upgrade: string;
  /** Every rpm call the exporter makes, one line each (a wrapper around the real rpm logs them). */
  let calls: string;
  const rpmCalls = (): string[] => (existsSync(calls) ? readFileSync(calls, 'utf8').split('\n').filter(Boolean) : []);
  const queries = () => rpmCalls().filter((c) => c.includes(' -qa '));

  beforeAll(async () => {
    rpm = which('rpm', 'rpm');
    const copy = copyScenario('sles15sp6-klp-missing');
    base = copy.base;
    root = copy.scenario.root;
    top = mkdtempSync(path.join(os.tmpdir(), 'klp-rpmbuild-'));
    const files = PACKAGES.map((p) => buildRpm(top, p));
    upgrade = buildRpm(top, { ...PACKAGES[0]!, version: '4', release: '150600.13.12.1', changelog: undefined });
    // Replace the stand-in database and the fake rpm with a real database and the real rpm.
    const dbdir = path.join(copy.scenario.root, 'usr/lib/sysimage/rpm');
    unlinkSync(path.join(dbdir, 'Packages.db'));
    mkdirSync(dbdir, { recursive: true });
    execFileSync(rpm, ['--root', copy.scenario.root, '--dbpath', '/usr/lib/sysimage/rpm', '--initdb']);
    execFileSync(rpm, ['--root', copy.scenario.root, '--dbpath', '/usr/lib/sysimage/rpm', '-i', '--justdb', '--nodeps', '--noscripts', '--ignorearch', ...files], { stdio: 'pipe' });
    unlinkSync(path.join(copy.scenario.bin, 'rpm'));
    calls = path.join(base, 'rpm-calls.log');
    writeFileSync(path.join(copy.scenario.bin, 'rpm'), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${calls}'\nexec '${rpm}' "$@"\n`);
    chmodSync(path.join(copy.scenario.bin, 'rpm'), 0o755);
    running = await startInProcess(copy.scenario);
    text = await (await fetch(`${running.url}/metrics`)).text();
  }, 120_000);

  afterAll(async () => {
    await running?.close();
    rmSync(base, { recursive: true, force: true });
    rmSync(top, { recursive: true, force: true });
  });

  it('reads installed live patch and kernel packages through --root', () => {
    expect(text).toContain('klp_scrape_collector_success{collector="packages"} 1');
    expect(text).toContain('klp_packages_installed 2'); // tools and the azure kernel do not count
    expect(text).toContain('klp_patch_installed_version 3');
    expect(text).toContain('klp_kernel_newer_installed 1');
    expect(text).toContain('klp_patch_info{patch="livepatch_3_150600_13_9_1",package="kernel-livepatch-6_4_0-150600_23_25-default",version="3",release="150600.13.9.1"} 1');
  });

  it('takes the CVEs from the KLP: lines of the real changelog', () => {
    expect(text).toContain('klp_scrape_collector_success{collector="klp"} 1');
    expect(text).toContain('klp_patch_cves 2');
  });

  it('uses the lifecycle date, and BUILDTIME when there is none', async () => {
    expect(text).toContain('klp_patch_expiry_source{source="lifecycle"} 1');
    const lc = path.join(running.exporter.config.path.rootfs, 'usr/share/lifecycle/data/sle-module-live-patching.lifecycle');
    rmSync(lc);
    await fetch(`${running.url}/metrics`);
    await new Promise((r) => setTimeout(r, 300));
    const after = await (await fetch(`${running.url}/metrics`)).text();
    expect(after).toContain('klp_patch_expiry_source{source="kernel-build-time"} 1');
    // 2024-10-17T11:47:42Z + 13 months
    expect(after).toContain(`klp_patch_expiry_timestamp_seconds ${Date.parse('2025-11-17T11:47:42Z') / 1000}`);
  });

  // rpm >= 4.16 with the sqlite backend rewrites rpmdb.sqlite-shm even for a read-only `rpm -qa`:
  // a stamp that covered it made every query invalidate the cache it filled.
  it('runs no command on an unchanged host, scrape after scrape, and exactly one query per package change', async () => {
    const dbdir = path.join(root, 'usr/lib/sysimage/rpm');
    expect(readdirSync(dbdir)).toContain('rpmdb.sqlite'); // Debian's rpm: the sqlite backend
    await fetch(`${running.url}/metrics`);
    const before = rpmCalls().length;
    for (let i = 0; i < 25; i++) {
      await fetch(`${running.url}/metrics`);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(rpmCalls().slice(before)).toEqual([]);

    const queriesBefore = queries().length;
    execFileSync(rpm, ['--root', root, '--dbpath', '/usr/lib/sysimage/rpm', '-U', '--justdb', '--nodeps', '--noscripts', '--ignorearch', upgrade], { stdio: 'pipe' });
    let last = '';
    for (let i = 0; i < 25; i++) {
      last = await (await fetch(`${running.url}/metrics`)).text();
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(queries().length - queriesBefore).toBe(1);
    expect(last).toContain('klp_patch_installed_version 4');
  }, 60_000);
});
