// The fixture hosts with zypp repositories: their .repo files and the raw metadata cache of each
// repository, built for real with rpmbuild + createrepo_c + modifyrepo_c (test/helpers/rpm-repo.ts).
// `UPDATE_FIXTURES=1 npx jest test/repo-fixtures.test.ts` writes them into test/fixtures/hosts;
// without it the test rebuilds them and checks the committed files are what createrepo_c makes.
//
// Every scenario is the sles15sp6-patched host (kernel 6.4.0-150600.23.25-default, live patch 3
// active and installed, CVEs CVE-2024-43882 CVE-2024-50115 CVE-2024-53042) plus repositories.

import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { buildRepo, type AdvisorySpec, type RepoSpec, type RpmSpec } from './rpm-repo.js';

const LP = 'kernel-livepatch-6_4_0-150600_23_25-default';
const lp = (version: string, release: string, buildTime: number): RpmSpec => ({ name: LP, version, release, buildTime, arch: 'x86_64' });
const LP1 = lp('1', '150600.13.3.1', 1729500000);
const LP2 = lp('2', '150600.13.6.1', 1738000000);
const LP3 = lp('3', '150600.13.9.1', 1747382400);
const LP4 = lp('4', '150600.13.12.1', 1748500000);
const LP5 = lp('5', '150600.13.15.1', 1748600000);
const OTHER_KERNEL_LP: RpmSpec = { name: 'kernel-livepatch-6_4_0-150600_23_38-default', version: '1', release: '150600.13.3.1', buildTime: 1733300000, arch: 'x86_64' };
const TOOLS: RpmSpec = { name: 'kernel-livepatch-tools', version: '1.2', release: '150600.3.3.1', buildTime: 1718000000, arch: 'x86_64' };
const KERNELS: RpmSpec[] = [
  { name: 'kernel-default', version: '6.4.0', release: '150600.23.25.1', buildTime: 1729165662, arch: 'x86_64' },
  { name: 'kernel-default', version: '6.4.0', release: '150600.23.38.1', buildTime: 1733220000, arch: 'x86_64' },
];

const ADV3: AdvisorySpec = {
  id: 'SUSE-SLE-Module-Live-Patching-15-SP6-2025-1580',
  title: 'Security update for the Linux Kernel (Live Patch 3 for SLE 15 SP6)',
  severity: 'important',
  issued: 1747400000,
  cves: ['CVE-2024-43882', 'CVE-2024-50115', 'CVE-2024-53042'],
  bugs: ['1229504', '1233019'],
  packages: [LP3],
};
const ADV4: AdvisorySpec = {
  id: 'SUSE-SLE-Module-Live-Patching-15-SP6-2025-1802',
  title: 'Security update for the Linux Kernel (Live Patch 4 for SLE 15 SP6)',
  severity: 'important',
  issued: 1748520000,
  cves: ['CVE-2024-53042', 'CVE-2025-21680', 'CVE-2025-21702'],
  bugs: ['1236701', '1237312'],
  packages: [LP4],
};
const ADV5: AdvisorySpec = {
  id: 'SUSE-SLE-Module-Live-Patching-15-SP6-2025-1990',
  title: 'Security update for the Linux Kernel (Live Patch 5 for SLE 15 SP6)',
  severity: 'critical',
  issued: 1748620000,
  cves: ['CVE-2025-21999'],
  packages: [LP5],
};

const LP_ALIAS = 'SLE_Module_Live_Patching_15_SP6_x86_64:SLE-Module-Live-Patching15-SP6-Updates';
const BASE_ALIAS = 'Basesystem_Module_15_SP6_x86_64:SLE-Module-Basesystem15-SP6-Updates';

const repoSection = (alias: string, o: { name: string; enabled?: boolean; autorefresh?: boolean; service?: string; url: string }) =>
  [
    `[${alias}]`,
    `name=${o.name}`,
    `enabled=${o.enabled === false ? 0 : 1}`,
    `autorefresh=${o.autorefresh === false ? 0 : 1}`,
    `baseurl=${o.url}`,
    ...(o.service ? [`service=${o.service}`] : []),
    'keeppackages=0',
    '',
  ].join('\n');

const LP_REPO = repoSection(LP_ALIAS, {
  name: 'SLE-Module-Live-Patching15-SP6-Updates',
  service: 'SLE_Module_Live_Patching_15_SP6_x86_64',
  url: 'https://updates.suse.com/SUSE/Updates/SLE-Module-Live-Patching/15-SP6/x86_64/update?SECRET-TOKEN',
});
const BASE_REPO = repoSection(BASE_ALIAS, {
  name: 'SLE-Module-Basesystem15-SP6-Updates',
  service: 'Basesystem_Module_15_SP6_x86_64',
  url: 'https://updates.suse.com/SUSE/Updates/SLE-Module-Basesystem/15-SP6/x86_64/update?SECRET-TOKEN',
});

export interface RepoFixture {
  readonly description: string;
  /** Files under /etc/zypp/repos.d. */
  readonly repoFiles: Readonly<Record<string, string>>;
  /** Raw caches by alias. */
  readonly caches: Readonly<Record<string, RepoSpec>>;
  /** repomd.xml modification times (the last refresh) by alias, RFC 3339. */
  readonly refreshed: Readonly<Record<string, string>>;
  /** Damage done after building, by alias. */
  readonly damage?: Readonly<Record<string, 'truncate-primary'>>;
  /** Replace the primary file with a large generated one (this many extra packages). */
  readonly largePrimary?: { readonly alias: string; readonly packages: number };
}

const BASE_CACHE: RepoSpec = { revision: 1748600000, packages: [...KERNELS] };

export const REPO_FIXTURES: Readonly<Record<string, RepoFixture>> = {
  'sles15sp6-repo-update-available': {
    description: 'Live patch 3 active; the Live Patching repository (refreshed 2 hours ago) offers live patch 4, whose advisory fixes 2 CVEs patch 3 does not.',
    repoFiles: { [`${LP_ALIAS}.repo`]: LP_REPO, [`${BASE_ALIAS}.repo`]: BASE_REPO },
    caches: {
      [LP_ALIAS]: { revision: 1748520000, packages: [LP1, LP2, LP3, LP4, OTHER_KERNEL_LP, TOOLS], advisories: [ADV3, ADV4] },
      [BASE_ALIAS]: BASE_CACHE,
    },
    refreshed: { [LP_ALIAS]: '2025-05-31T22:00:00Z', [BASE_ALIAS]: '2025-05-31T22:00:00Z' },
  },
  'sles15sp6-repo-no-update': {
    description: 'Live patch 3 active; the repositories offer nothing newer (available 3 = installed 3).',
    repoFiles: { [`${LP_ALIAS}.repo`]: LP_REPO, [`${BASE_ALIAS}.repo`]: BASE_REPO },
    caches: {
      [LP_ALIAS]: { revision: 1747400000, packages: [LP1, LP2, LP3, OTHER_KERNEL_LP, TOOLS], advisories: [ADV3] },
      [BASE_ALIAS]: BASE_CACHE,
    },
    refreshed: { [LP_ALIAS]: '2025-05-31T23:00:00Z', [BASE_ALIAS]: '2025-05-31T23:00:00Z' },
  },
  'sles15sp6-repo-stale': {
    description: 'The Live Patching repository has autorefresh=0 and was last refreshed 42 days ago: it knows only live patch 3 (metadata stale).',
    repoFiles: {
      [`${LP_ALIAS}.repo`]: LP_REPO.replace('autorefresh=1', 'autorefresh=0'),
      [`${BASE_ALIAS}.repo`]: BASE_REPO,
    },
    caches: {
      [LP_ALIAS]: { revision: 1744000000, packages: [LP1, LP2, LP3, TOOLS], advisories: [ADV3] },
      [BASE_ALIAS]: BASE_CACHE,
    },
    refreshed: { [LP_ALIAS]: '2025-04-20T00:00:00Z', [BASE_ALIAS]: '2025-05-31T23:00:00Z' },
  },
  'sles15sp6-repo-disabled': {
    description:
      'A disabled test repository whose cache offers live patches 4 and 5 (not counted); the enabled one offers 3; an enabled debuginfo repository was never refreshed (no cache). Two sections in one .repo file.',
    repoFiles: {
      [`${LP_ALIAS}.repo`]: LP_REPO,
      'klp-test.repo': [
        repoSection('klp-test', { name: 'Live patch test builds', enabled: false, url: 'https://example.com/klp-test/' }),
        repoSection('klp-debug', { name: 'Live patch debuginfo', autorefresh: false, url: 'https://example.com/klp-debug/' }),
      ].join('\n'),
    },
    caches: {
      [LP_ALIAS]: { revision: 1747400000, packages: [LP1, LP2, LP3, TOOLS], advisories: [ADV3] },
      'klp-test': { revision: 1748620000, packages: [LP4, LP5], advisories: [ADV4, ADV5] },
    },
    refreshed: { [LP_ALIAS]: '2025-05-31T23:00:00Z', 'klp-test': '2025-05-31T23:00:00Z' },
  },
  'sles15sp6-repo-broken': {
    description: "The Live Patching repository's primary file is truncated (an interrupted copy): the collector fails and names it; the Basesystem repository is still read.",
    repoFiles: { [`${LP_ALIAS}.repo`]: LP_REPO, [`${BASE_ALIAS}.repo`]: BASE_REPO },
    caches: {
      [LP_ALIAS]: { revision: 1748520000, packages: [LP1, LP2, LP3, LP4, OTHER_KERNEL_LP, TOOLS], advisories: [ADV3, ADV4] },
      [BASE_ALIAS]: BASE_CACHE,
    },
    refreshed: { [LP_ALIAS]: '2025-05-31T22:00:00Z', [BASE_ALIAS]: '2025-05-31T22:00:00Z' },
    damage: { [LP_ALIAS]: 'truncate-primary' },
  },
  'sles15sp6-repo-large': {
    description: "The Live Patching repository's primary file is large (about 50 MB uncompressed, generated by the test helper on first use and not committed): live patch 4 is found after 26,000 other packages.",
    repoFiles: { [`${LP_ALIAS}.repo`]: LP_REPO, [`${BASE_ALIAS}.repo`]: BASE_REPO },
    caches: {
      [LP_ALIAS]: { revision: 1748520000, packages: [LP1, LP2, LP3, LP4, OTHER_KERNEL_LP, TOOLS], advisories: [ADV3, ADV4] },
      [BASE_ALIAS]: BASE_CACHE,
    },
    refreshed: { [LP_ALIAS]: '2025-05-31T22:00:00Z', [BASE_ALIAS]: '2025-05-31T22:00:00Z' },
    largePrimary: { alias: LP_ALIAS, packages: 26_000 },
  },
};

/** Where a repository's raw cache lives inside a host root. */
export function rawCacheDir(root: string, alias: string): string {
  return path.join(root, 'var/cache/zypp/raw', alias.replace(/\//g, '_'));
}

/** Write the .repo files and raw caches of a scenario into `root` (createrepo_c runs here). */
export function writeRepoFixture(root: string, f: RepoFixture): void {
  const reposDir = path.join(root, 'etc/zypp/repos.d');
  rmSync(reposDir, { recursive: true, force: true });
  mkdirSync(reposDir, { recursive: true });
  for (const [name, text] of Object.entries(f.repoFiles)) writeFileSync(path.join(reposDir, name), text);
  rmSync(path.join(root, 'var/cache/zypp/raw'), { recursive: true, force: true });
  for (const [alias, spec] of Object.entries(f.caches)) {
    const dir = rawCacheDir(root, alias);
    buildRepo(spec, dir);
    if (f.damage?.[alias] === 'truncate-primary') {
      const repodata = path.join(dir, 'repodata');
      const primary = readdirSync(repodata).find((n) => n.endsWith('-primary.xml.gz'))!;
      const data = readFileSync(path.join(repodata, primary));
      writeFileSync(path.join(repodata, primary), data.subarray(0, Math.floor(data.length / 2)));
    }
    if (f.largePrimary?.alias === alias) {
      // repomd.xml names the large file, which is generated on demand (ensureLargePrimary) from
      // createrepo_c's primary, kept beside the host root as its seed.
      const repodata = path.join(dir, 'repodata');
      const primary = readdirSync(repodata).find((n) => n.endsWith('-primary.xml.gz'))!;
      const repomdPath = path.join(repodata, 'repomd.xml');
      renameSync(path.join(repodata, primary), path.join(path.dirname(root), LARGE_SEED));
      const repomd = readFileSync(repomdPath, 'utf8');
      writeFileSync(repomdPath, repomd.replace(/repodata\/[0-9a-f]+-primary\.xml\.gz/, `repodata/${LARGE_PRIMARY_NAME}`));
    }
  }
}

export const LARGE_PRIMARY_NAME = 'large-primary.xml.gz';
/** createrepo_c's primary of the large scenario, beside its root. */
const LARGE_SEED = 'large-primary-seed.xml.gz';

/**
 * A large primary.xml: `extra` packages shaped like createrepo_c's entries (names, provides,
 * requires, a long description) before the real ones, deterministic.
 */
export function largePrimary(real: string, extra: number): string {
  const head = real.slice(0, real.indexOf('<package '));
  const body = real.slice(real.indexOf('<package '), real.lastIndexOf('</metadata>'));
  const realCount = Number(/packages="(\d+)"/.exec(real)![1]);
  const parts: string[] = [head.replace(/packages="\d+"/, `packages="${extra + realCount}"`)];
  const filler = 'This package is generated filler for the large-primary test; '.repeat(8);
  for (let i = 0; i < extra; i++) {
    const name = `filler-package-${i % 5000}-${Math.floor(i / 5000)}`;
    const sha = createHash('sha256').update(name).digest('hex');
    parts.push(
      `<package type="rpm">\n  <name>${name}</name>\n  <arch>x86_64</arch>\n  <version epoch="0" ver="1.${i % 97}" rel="150600.${i % 13}.1"/>\n` +
        `  <checksum type="sha256" pkgid="YES">${sha}</checksum>\n  <summary>Filler ${i}</summary>\n  <description>${filler}</description>\n` +
        `  <packager>https://www.suse.com/</packager>\n  <url></url>\n  <time file="1748000000" build="1748000000"/>\n  <size package="123456" installed="456789" archive="460000"/>\n` +
        `  <location href="x86_64/${name}-1.${i % 97}-150600.${i % 13}.1.x86_64.rpm"/>\n  <format>\n    <rpm:license>GPL-2.0-only</rpm:license>\n    <rpm:vendor>SUSE LLC &lt;https://www.suse.com/&gt;</rpm:vendor>\n` +
        `    <rpm:group>System/Base</rpm:group>\n    <rpm:buildhost>h04-ch1b</rpm:buildhost>\n    <rpm:sourcerpm>${name}-1.${i % 97}-150600.${i % 13}.1.src.rpm</rpm:sourcerpm>\n    <rpm:header-range start="6200" end="14000"/>\n` +
        `    <rpm:provides>\n      <rpm:entry name="${name}" flags="EQ" epoch="0" ver="1.${i % 97}" rel="150600.${i % 13}.1"/>\n      <rpm:entry name="${name}(x86-64)" flags="EQ" epoch="0" ver="1.${i % 97}" rel="150600.${i % 13}.1"/>\n    </rpm:provides>\n` +
        `    <rpm:requires>\n      <rpm:entry name="libc.so.6()(64bit)"/>\n      <rpm:entry name="libc.so.6(GLIBC_2.34)(64bit)"/>\n      <rpm:entry name="rpmlib(CompressedFileNames)" flags="LE" epoch="0" ver="3.0.4" rel="1" pre="1"/>\n    </rpm:requires>\n` +
        `    <file>/usr/bin/${name}</file>\n  </format>\n</package>\n`,
    );
  }
  parts.push(body, '</metadata>\n');
  return parts.join('');
}

/** Make sure the large primary file of a scenario exists (generated from its seed, gzip, not committed). */
export function ensureLargePrimary(root: string, f: RepoFixture): string | undefined {
  if (!f.largePrimary) return undefined;
  const target = path.join(rawCacheDir(root, f.largePrimary.alias), 'repodata', LARGE_PRIMARY_NAME);
  const seed = gunzipSync(readFileSync(path.join(path.dirname(root), LARGE_SEED))).toString('utf8');
  const large = largePrimary(seed, f.largePrimary.packages);
  try {
    if (gunzipSync(readFileSync(target)).equals(Buffer.from(large))) return target;
  } catch {
    // absent or unreadable: generate it
  }
  const tmp = `${target}.tmp`;
  writeFileSync(tmp, gzipSync(large, { level: 6 }));
  renameSync(tmp, target);
  return target;
}
