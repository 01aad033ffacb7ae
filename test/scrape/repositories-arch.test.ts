// One repository often serves several architectures from one repodata/ (issue 21, item 1): on an
// x86_64 host, a newer live patch built only for s390x or ppc64le is not offered (zypper installs
// only the host's architecture and noarch). The architecture is the running kernel's:
// /proc/sys/kernel/arch (Linux 6.1+), else uname's machine.

import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { copyScenario, startInProcess } from '../helpers/fixture-host.js';
import { rawCacheDir } from '../helpers/repo-fixtures.js';

const LP = 'kernel-livepatch-6_4_0-150600_23_25-default';
const LP_ALIAS = 'SLE_Module_Live_Patching_15_SP6_x86_64:SLE-Module-Live-Patching15-SP6-Updates';
const bases: string[] = [];
afterAll(() => {
  for (const b of bases) rmSync(b, { recursive: true, force: true });
});

/** Add packages of other architectures, newer than live patch 4, to a file's XML (gzip kept). */
function addToGzip(file: string, before: string, extra: string): void {
  const text = gunzipSync(readFileSync(file)).toString('utf8');
  writeFileSync(file, gzipSync(text.replace(before, extra + before)));
}

function setArch(root: string, arch: string | undefined): void {
  const p = path.join(root, 'proc/sys/kernel/arch');
  if (arch === undefined) rmSync(p, { force: true });
  else {
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, `${arch}\n`);
  }
}

const value = (body: string, family: string) => new RegExp(`^${family} (\\S+)$`, 'm').exec(body)?.[1];

async function scrape(s: Parameters<typeof startInProcess>[0]): Promise<string> {
  const e = await startInProcess(s);
  try {
    return await (await fetch(`${e.url}/metrics`)).text();
  } finally {
    await e.close();
  }
}

describe('offered live patches of the running kernel’s architecture only', () => {
  it('cached metadata: s390x and ppc64le builds of live patch 7 and 6 are not offered on x86_64; they are on s390x', async () => {
    const { scenario, base } = copyScenario('sles15sp6-repo-update-available');
    bases.push(base);
    const repodata = path.join(rawCacheDir(scenario.root, LP_ALIAS), 'repodata');
    const file = (suffix: string) =>
      path.join(
        repodata,
        readdirSync(repodata).find((n) => n.endsWith(suffix))!,
      );
    const pkg = (arch: string, v: number) => `<package type="rpm"><name>${LP}</name><arch>${arch}</arch><version epoch="0" ver="${v}" rel="150600.13.${v * 3}.1"/></package>\n`;
    addToGzip(file('-primary.xml.gz'), '</metadata>', pkg('s390x', 7) + pkg('ppc64le', 7) + pkg('s390x', 6));
    const update = (id: string, arch: string, v: number, cve: string) =>
      `<update from="maint-coord@suse.de" status="stable" type="security" version="1"><id>${id}</id><severity>critical</severity>` +
      `<references><reference href="x" id="${cve}" title="${cve}" type="cve"/></references>` +
      `<pkglist><collection><package name="${LP}" epoch="0" version="${v}" release="150600.13.${v * 3}.1" arch="${arch}"><filename>x.rpm</filename></package></collection></pkglist></update>\n`;
    addToGzip(file('-updateinfo.xml.gz'), '</updates>', update('S390-6', 's390x', 6, 'CVE-2025-0006') + update('S390-7', 's390x', 7, 'CVE-2025-0007'));

    setArch(scenario.root, 'x86_64');
    const x86 = await scrape(scenario);
    expect(value(x86, 'klp_patch_available_version')).toBe('4');
    // Live patch 4's advisory: 2 CVEs the active patch 3 does not fix (none of the s390x advisories).
    expect(value(x86, 'klp_patch_available_cves_new')).toBe('2');

    setArch(scenario.root, 's390x');
    const s390 = await scrape(scenario);
    expect(value(s390, 'klp_patch_available_version')).toBe('7');
    // Installing 7 over 3 on s390x: 6's and 7's CVEs (there is no s390x build of 4).
    expect(value(s390, 'klp_patch_available_cves_new')).toBe('2');

    // Without /proc/sys/kernel/arch (Linux before 6.1): uname's machine, this machine's.
    setArch(scenario.root, undefined);
    const here = await scrape(scenario);
    expect(value(here, 'klp_patch_available_version')).toBe(os.machine() === 's390x' ? '7' : os.machine() === 'x86_64' ? '4' : undefined);
  });

  it('zypper fallback: a hit of another architecture is not offered', async () => {
    const { scenario, base } = copyScenario('sles15sp6-repo-zypper-fallback');
    bases.push(base);
    const cmd = path.join(scenario.dir, 'cmd');
    const out = path.join(
      cmd,
      readdirSync(cmd).find((n) => n.startsWith('zypper_'))!,
    );
    const hit = (arch: string, v: number) => `<solvable status="other-version" name="${LP}" kind="package" edition="${v}-150600.13.${v * 3}.1" arch="${arch}" repository="SLE-Module-Live-Patching15-SP6-Updates"/>\n`;
    writeFileSync(out, readFileSync(out, 'utf8').replace('</solvable-list>', hit('ppc64le', 8) + hit('s390x', 9) + '</solvable-list>'));
    setArch(scenario.root, 'x86_64');
    expect(value(await scrape(scenario), 'klp_patch_available_version')).toBe('4');
    setArch(scenario.root, 'ppc64le');
    expect(value(await scrape(scenario), 'klp_patch_available_version')).toBe('8');
  });
});
