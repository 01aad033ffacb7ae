// The zypp repository fixture hosts are real createrepo_c/modifyrepo_c output: rebuild them from
// their definitions (test/helpers/repo-fixtures.ts) and compare with the committed files.
// UPDATE_FIXTURES=1 writes them (a new scenario starts as a copy of sles15sp6-patched).

import { describe, expect, it } from '@jest/globals';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import YAML from 'yaml';
import { HOSTS } from './helpers/fixture-host.js';
import { rawCacheDir, REPO_FIXTURES, writeRepoFixture } from './helpers/repo-fixtures.js';

const update = process.env.UPDATE_FIXTURES === '1';
const BASE = 'sles15sp6-patched';

/** Every file under a directory, relative, sorted. */
function files(dir: string, rel = ''): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name), path.join(rel, e.name)) : [path.join(rel, e.name)]))
    .sort();
}

/** A file's text with what differs between createrepo_c builds (checksums, sizes, hash file names) masked. */
function normalized(file: string): string {
  const data = readFileSync(file);
  let text: string;
  try {
    text = gunzipSync(data).toString('utf8');
  } catch {
    text = data.toString('utf8');
  }
  return (
    text
      .replace(/[0-9a-f]{64}/g, '<sha256>')
      .replace(/<(size|open-size|header-range)[^>]*>/g, '<$1/>')
      .replace(/(<size>|<open-size>)\d+/g, '$1N')
      // modifyrepo_c stamps the file it adds with the current time.
      .replace(/<timestamp>\d+<\/timestamp>/g, '<timestamp>N</timestamp>')
      .replace(/ (package|installed|archive|start|end)="\d+"/g, ' $1="N"')
  );
}

/** scenario.yaml's `mtimes`: each repository's repomd.xml, refreshed when the fixture says. */
function mtimesOf(dir: string, f: (typeof REPO_FIXTURES)[string]): Record<string, string> {
  const root = path.join(dir, 'root');
  return Object.fromEntries(Object.entries(f.refreshed).map(([alias, at]) => [path.relative(root, path.join(rawCacheDir(root, alias), 'repodata/repomd.xml')), at]));
}

const maskName = (n: string) => n.replace(/[0-9a-f]{64}/, '<sha256>');

describe('zypp repository fixtures', () => {
  it.each(Object.keys(REPO_FIXTURES))(
    '%s is what createrepo_c and modifyrepo_c build',
    (name) => {
      const f = REPO_FIXTURES[name]!;
      const dir = path.join(HOSTS, name);
      if (update) {
        if (!existsSync(dir)) {
          for (const sub of ['root', 'bin', 'cmd']) cpSync(path.join(HOSTS, BASE, sub), path.join(dir, sub), { recursive: true, verbatimSymlinks: true });
        }
        writeRepoFixture(path.join(dir, 'root'), f);
        const base = YAML.parse(readFileSync(path.join(HOSTS, BASE, 'scenario.yaml'), 'utf8')) as { now: string; args?: string[] };
        writeFileSync(path.join(dir, 'scenario.yaml'), YAML.stringify({ description: f.description, now: base.now, args: base.args ?? [], mtimes: mtimesOf(dir, f) }, { lineWidth: 0 }));
      }
      const tmp = mkdtempSync(path.join(os.tmpdir(), 'klp-repo-fixture-'));
      try {
        writeRepoFixture(path.join(tmp, 'root'), f);
        for (const sub of ['etc/zypp', 'var/cache/zypp/raw']) {
          const want = files(path.join(tmp, 'root', sub));
          const have = files(path.join(dir, 'root', sub)).filter((n) => !n.endsWith('large-primary.xml.gz'));
          expect(have.map(maskName)).toEqual(want.map(maskName));
          for (let i = 0; i < want.length; i++) {
            expect(normalized(path.join(dir, 'root', sub, have[i]!))).toEqual(normalized(path.join(tmp, 'root', sub, want[i]!)));
          }
        }
        const meta = YAML.parse(readFileSync(path.join(dir, 'scenario.yaml'), 'utf8')) as { mtimes: Record<string, string> };
        expect(meta.mtimes).toEqual(mtimesOf(dir, f));
        for (const rel of Object.keys(meta.mtimes)) expect(statSync(path.join(dir, 'root', rel)).isFile()).toBe(true);
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    },
    120_000,
  );
});
