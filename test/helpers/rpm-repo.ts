// Real rpm-md repositories for the tests: empty packages built with rpmbuild, metadata written
// by createrepo_c, updateinfo added with modifyrepo_c, then laid out the way libzypp keeps a
// refreshed repository in its raw cache (repomd.xml plus the primary and updateinfo files it
// lists; libzypp does not download filelists and other).

import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function which(cmd: string, pkg: string): string {
  try {
    return execFileSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error(`${cmd} not found: install Debian's ${pkg} package (scripts/install-test-deps.sh)`);
  }
}

export interface RpmSpec {
  readonly name: string;
  readonly version: string;
  readonly release: string;
  /** Unix seconds (BUILDTIME). */
  readonly buildTime: number;
  readonly arch?: string;
  readonly changelog?: string;
}

/** Build an empty package with rpmbuild (reproducible: SOURCE_DATE_EPOCH, fixed build host); returns its path. */
export function buildRpm(top: string, p: RpmSpec): string {
  const arch = p.arch ?? 'noarch';
  const spec = path.join(top, `${p.name}-${p.version}-${p.release}.spec`);
  writeFileSync(
    spec,
    [
      `Name: ${p.name}`,
      `Version: ${p.version}`,
      `Release: ${p.release}`,
      'Summary: test package',
      'License: GPL-2.0-only',
      ...(arch === 'noarch' ? ['BuildArch: noarch'] : []),
      '%description',
      'Empty package for the klp_exporter tests.',
      '%files',
      '%changelog',
      p.changelog ?? '* Mon Jan 01 2024 test@example.com\n- nothing',
      '',
    ].join('\n'),
  );
  execFileSync(
    which('rpmbuild', 'rpm'),
    ['-bb', '--quiet', ...(arch === 'noarch' ? [] : ['--target', arch]), '--define', `_topdir ${top}`, '--define', 'use_source_date_epoch_as_buildtime 1', '--define', '_buildhost buildhost', spec],
    { env: { ...process.env, SOURCE_DATE_EPOCH: String(p.buildTime) }, stdio: 'pipe' },
  );
  const dir = path.join(top, 'RPMS', arch);
  return path.join(
    dir,
    readdirSync(dir).find((f) => f.startsWith(`${p.name}-${p.version}-${p.release}.`))!,
  );
}

export interface AdvisorySpec {
  readonly id: string;
  readonly title: string;
  readonly severity: string;
  readonly status?: string;
  readonly type?: string;
  /** Unix seconds. */
  readonly issued: number;
  readonly cves: readonly string[];
  readonly bugs?: readonly string[];
  readonly packages: readonly RpmSpec[];
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');

/** updateinfo.xml in the shape SUSE's maintenance tools publish (and libsolv reads). */
export function updateinfoXml(advisories: readonly AdvisorySpec[]): string {
  const out = ['<?xml version="1.0" encoding="UTF-8"?>', '<updates>'];
  for (const a of advisories) {
    out.push(`  <update from="maint-coord@suse.de" status="${a.status ?? 'stable'}" type="${a.type ?? 'security'}" version="1">`);
    out.push(`    <id>${esc(a.id)}</id>`, `    <title>${esc(a.title)}</title>`, `    <severity>${esc(a.severity)}</severity>`);
    out.push('    <release>SUSE Updates SLE-Module-Live-Patching 15-SP6 x86_64</release>', `    <issued date="${a.issued}"/>`, '    <references>');
    for (const c of a.cves) out.push(`      <reference href="https://www.suse.com/security/cve/${c}/" id="${c}" title="${c}" type="cve"/>`);
    for (const b of a.bugs ?? []) out.push(`      <reference href="https://bugzilla.suse.com/show_bug.cgi?id=${b}" id="${b}" title="bug ${b}" type="bugzilla"/>`);
    out.push('    </references>', `    <description>${esc(a.title)}. The following security bugs were fixed: ${a.cves.join(', ')}.</description>`, '    <pkglist>', '      <collection>');
    for (const p of a.packages) {
      const arch = p.arch ?? 'noarch';
      out.push(`        <package name="${p.name}" epoch="0" version="${p.version}" release="${p.release}" arch="${arch}" src="src/${p.name}-${p.version}-${p.release}.src.rpm">`);
      out.push(`          <filename>${p.name}-${p.version}-${p.release}.${arch}.rpm</filename>`, '        </package>');
    }
    out.push('      </collection>', '    </pkglist>', '  </update>');
  }
  out.push('</updates>', '');
  return out.join('\n');
}

export interface RepoSpec {
  /** Unix seconds: createrepo_c --revision, and the time stamps inside the metadata. */
  readonly revision: number;
  readonly packages: readonly RpmSpec[];
  readonly advisories?: readonly AdvisorySpec[];
  /** createrepo_c --compress-type (gz by default, as SUSE's build service publishes). */
  readonly compress?: 'gz' | 'xz' | 'bz2';
}

/**
 * Build the repository with createrepo_c (and modifyrepo_c) and copy what libzypp caches of it to
 * `cacheDir/repodata/`. Returns the names of the copied files.
 */
export function buildRepo(spec: RepoSpec, cacheDir: string): string[] {
  const work = mkdtempSync(path.join(os.tmpdir(), 'klp-repo-'));
  try {
    const top = path.join(work, 'top');
    const repo = path.join(work, 'repo');
    mkdirSync(top);
    for (const p of spec.packages) {
      const file = buildRpm(top, p);
      const dir = path.join(repo, p.arch ?? 'noarch');
      mkdirSync(dir, { recursive: true });
      const dest = path.join(dir, path.basename(file));
      copyFileSync(file, dest);
      utimesSync(dest, spec.revision, spec.revision);
    }
    mkdirSync(repo, { recursive: true });
    const compress = spec.compress ?? 'gz';
    execFileSync(
      which('createrepo_c', 'createrepo-c'),
      ['--quiet', '--no-database', '--revision', String(spec.revision), '--set-timestamp-to-revision', '--compress-type', compress, '--general-compress-type', compress, repo],
      { stdio: 'pipe' },
    );
    if (spec.advisories) {
      const ui = path.join(work, 'updateinfo.xml');
      writeFileSync(ui, updateinfoXml(spec.advisories));
      utimesSync(ui, spec.revision, spec.revision);
      execFileSync(which('modifyrepo_c', 'createrepo-c'), ['--mdtype', 'updateinfo', '--compress-type', compress, ui, path.join(repo, 'repodata')], { stdio: 'pipe' });
    }
    const out = path.join(cacheDir, 'repodata');
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out, { recursive: true });
    const names = readdirSync(path.join(repo, 'repodata')).filter((n) => n === 'repomd.xml' || /-(primary|updateinfo)\.xml\.[a-z0-9]+$/.test(n));
    for (const n of names) copyFileSync(path.join(repo, 'repodata', n), path.join(out, n));
    return names.sort();
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
