// A host RPM database in a format the rpm in use cannot read (here: ndb's Packages.db for Debian's sqlite-only
// rpm, as an SLE 15 based container image would meet a SLES 16 sqlite database), mounted read-only as in the
// container: the packages collector must fail and carry rpm's message, never report "no packages installed",
// and nothing may be written into the host's database directory. The exporter runs as nobody, so the directory's
// permissions hold (the suite runs as root here). scripts/container-smoke.sh checks the same inside the image.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { MAIN } from '../helpers/exporter-process.js';
import { copyScenario, scenarioArgs } from '../helpers/fixture-host.js';

let base: string;
let dbdir: string;
let out: string;
let result: { status: number | null; stderr: string; text: string };

beforeAll(() => {
  const rpm = execFileSync('sh', ['-c', 'command -v rpm'], { encoding: 'utf8' }).trim();
  const copy = copyScenario('sles15sp6-patched');
  base = copy.base;
  dbdir = path.join(copy.scenario.root, 'usr/lib/sysimage/rpm');
  for (const f of readdirSync(dbdir)) unlinkSync(path.join(dbdir, f));
  writeFileSync(path.join(dbdir, 'Packages.db'), randomBytes(65_536));
  unlinkSync(path.join(copy.scenario.bin, 'rpm'));
  symlinkSync(rpm, path.join(copy.scenario.bin, 'rpm'));
  execFileSync('chmod', ['-R', 'a+rX', base]);
  chmodSync(dbdir, 0o555);
  out = path.join(base, 'out');
  mkdirSync(out, { mode: 0o777 });
  chmodSync(out, 0o777);
  const file = path.join(out, 'klp.prom');
  const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--', process.execPath, MAIN, ...scenarioArgs(copy.scenario), `--textfile.output=${file}`], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  result = { status: r.status, stderr: r.stderr, text: readFileSync(file, 'utf8') };
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('a host RPM database the rpm cannot read', () => {
  it("fails the packages collector with rpm's message about the database", () => {
    expect(result.text).toContain('klp_scrape_collector_success{collector="packages"} 0');
    expect(result.stderr).toMatch(/collector failed.*collector=packages.*rpm --root .*(cannot open Packages database|Unable to open sqlite database)/);
  });

  it('reports no package counts as if there were none', () => {
    expect(result.text).not.toMatch(/^klp_packages_installed /m);
  });

  it('writes nothing into the host database directory', () => {
    expect(readdirSync(dbdir)).toEqual(['Packages.db']);
  });
});
