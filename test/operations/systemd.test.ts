/**
 * Static checks of the systemd units: `systemd-analyze verify` (needs the systemd package; no running systemd)
 * and the hardening settings the collectors depend on.
 */
import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../packaging/systemd');
const UNITS = ['prometheus-klp_exporter.service', 'prometheus-klp_exporter-textfile.service', 'prometheus-klp_exporter-textfile.timer'];

function directives(unit: string): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const line of readFileSync(path.join(DIR, unit), 'utf8').split('\n')) {
    const match = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (match) m.set(match[1]!, [...(m.get(match[1]!) ?? []), match[2]!]);
  }
  return m;
}

function verify(units: string[]): { status: number | null; output: string } {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'klp-units-'));
  try {
    for (const u of units) copyFileSync(path.join(DIR, u), path.join(tmp, u));
    const r = spawnSync('systemd-analyze', ['verify', '--man=no', ...units.map((u) => `./${u}`)], {
      cwd: tmp,
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, SYSTEMD_LOG_LEVEL: 'notice' },
    });
    if ((r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
      throw new Error('systemd-analyze not found: install the "systemd" package to run this test');
    }
    return { status: r.status, output: `${r.stdout}${r.stderr}`.replaceAll(tmp, '<dir>') };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

describe('systemd units', () => {
  it('systemd-analyze verify accepts all units without any warning', () => {
    expect(verify(UNITS)).toEqual({ status: 0, output: '' });
  });

  it('systemd-analyze verify does catch mistakes (sanity check of the check)', () => {
    const r = spawnSync(
      'sh',
      [
        '-c',
        'd=$(mktemp -d) && printf "[Service]\\nExecStart=/bin/true\\nProtectSystm=strict\\n" > $d/x.service && cd $d && SYSTEMD_LOG_LEVEL=notice systemd-analyze verify --man=no ./x.service; rc=$?; rm -rf $d; exit $rc',
      ],
      { encoding: 'utf8' },
    );
    expect(r.stderr).toContain("Unknown key 'ProtectSystm'");
  });

  it.each(['prometheus-klp_exporter.service', 'prometheus-klp_exporter-textfile.service'])('%s runs as the dedicated user with hardening', (unit) => {
    const d = directives(unit);
    expect(d.get('User')).toEqual(['klp_exporter']);
    for (const [k, v] of [
      ['NoNewPrivileges', 'yes'],
      ['ProtectSystem', 'strict'],
      ['ProtectHome', 'yes'],
      ['PrivateTmp', 'yes'],
      ['PrivateDevices', 'yes'],
      ['ProtectKernelTunables', 'yes'],
      ['CapabilityBoundingSet', ''],
      // No JIT with --lite-mode: test/operations/systemd-mdwe.test.ts runs the exporter under the rule.
      ['MemoryDenyWriteExecute', 'yes'],
    ]) {
      expect([k, d.get(k!)]).toEqual([k, [v]]);
    }
    // ProcSubset=pid would hide /proc/sys/kernel/tainted.
    expect(d.has('ProcSubset')).toBe(false);
    expect(d.get('ExecStart')?.[0]).toContain(' --lite-mode ');
    expect(d.get('EnvironmentFile')?.[0]).toMatch(/^-\/etc\/sysconfig\/prometheus-klp_exporter/);
    expect(d.get('ExecStart')?.[0]).toMatch(/^\/usr\/bin\/node (--[\w-]+(=\S+)? )*\/usr\/lib\/klp_exporter\/klp_exporter\.mjs .*\$ARGS$/);
  });

  it('the daemon restarts on failure; the textfile service writes only its directory and has no network', () => {
    expect(directives('prometheus-klp_exporter.service').get('Restart')).toEqual(['on-failure']);
    const t = directives('prometheus-klp_exporter-textfile.service');
    expect(t.get('Type')).toEqual(['oneshot']);
    expect(t.get('ReadWritePaths')).toEqual(['/var/lib/node_exporter/textfile']);
    expect([t.get('PrivateNetwork'), t.get('IPAddressDeny')]).toEqual([['yes'], ['any']]);
    expect(t.get('ExecStart')?.[0]).toContain('--textfile.output=/var/lib/node_exporter/textfile/klp.prom');
    expect(directives('prometheus-klp_exporter-textfile.timer').get('OnUnitActiveSec')).toEqual(['5min']);
  });

  it('sysconfig file sets ARGS', () => {
    expect(readFileSync(path.join(DIR, 'prometheus-klp_exporter.sysconfig'), 'utf8')).toMatch(/^ARGS=""$/m);
  });
});
