// Collector switches and failure isolation on fixture hosts.

import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { copyScenario, loadScenario, startInProcess, type RunningExporter } from '../helpers/fixture-host.js';

let running: RunningExporter | undefined;
let base: string | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
  if (base) rmSync(base, { recursive: true, force: true });
  base = undefined;
});
const scrape = async (r: RunningExporter) => (await fetch(`${r.url}/metrics`)).text();
const families = (text: string) =>
  new Set(
    text
      .split('\n')
      .filter((l) => l.startsWith('# TYPE '))
      .map((l) => l.split(' ')[2]),
  );

describe('collector switches', () => {
  it('a disabled collector has no series and runs nothing', async () => {
    running = await startInProcess(loadScenario('sles15sp6-patched'), ['--no-collector.packages', '--no-collector.klp', '--no-collector.lifecycle']);
    const text = await scrape(running);
    expect(text).not.toContain('collector="packages"');
    expect(text).not.toContain('collector="klp"');
    const f = families(text);
    for (const gone of ['klp_packages_installed', 'klp_patch_installed_version', 'klp_patch_cves', 'klp_patch_expiry_timestamp_seconds']) expect(f.has(gone)).toBe(false);
    expect(text).toContain('klp_exporter_command_runs_total{command="rpm"} 0');
    // Without packages and klp, the active version still comes from the SUSE module name.
    expect(text).toContain('klp_patch_active_version 3');
    expect(f.has('klp_patch_info')).toBe(false);
  });
});

describe('failure isolation', () => {
  it('a missing os-release fails the kernel collector but keeps the kernel release', async () => {
    const copy = copyScenario('sles15sp6-patched');
    base = copy.base;
    rmSync(path.join(copy.scenario.root, 'etc/os-release'));
    running = await startInProcess(copy.scenario);
    const text = await scrape(running);
    expect(text).toContain('klp_scrape_collector_success{collector="kernel"} 0');
    expect(text).toContain('klp_kernel_info{release="6.4.0-150600.23.25-default"');
    expect(families(text).has('klp_os_info')).toBe(false);
    expect(running.logs.join('')).toContain('no os-release file');
  });

  it('a patch directory whose name is not valid UTF-8 is reported as a problem, never dropped unseen', async () => {
    const copy = copyScenario('sles15sp6-patched');
    base = copy.base;
    const dir = Buffer.concat([Buffer.from(path.join(copy.scenario.root, 'sys/kernel/livepatch/livepatch_')), Buffer.from([0xff, 0xfe]), Buffer.from('_9')]);
    mkdirSync(dir);
    writeFileSync(Buffer.concat([dir, Buffer.from('/enabled')]), '1\n');
    writeFileSync(Buffer.concat([dir, Buffer.from('/transition')]), '0\n');
    running = await startInProcess(copy.scenario);
    const text = await scrape(running);
    expect(text).toContain('klp_scrape_collector_success{collector="livepatch"} 0');
    // The patches with readable names are still reported.
    expect(text).toContain('klp_patch_enabled{patch="livepatch_3_150600_13_9_1"} 1');
    expect(running.logs.join('\n')).toContain('livepatch_\\\\xff\\\\xfe_9');
  });

  it('sysfs not mounted where configured is an error, not "unsupported"', async () => {
    const copy = copyScenario('sles15sp6-patched');
    base = copy.base;
    running = await startInProcess(copy.scenario, ['--path.sysfs', path.join(copy.base, 'nowhere')]);
    const text = await scrape(running);
    expect(text).toContain('klp_scrape_collector_success{collector="livepatch"} 0');
    expect(families(text).has('klp_livepatch_state')).toBe(false);
    expect(running.logs.join('')).toMatch(/collector=livepatch err=".*nowhere\/kernel: no such directory: is sysfs mounted at --path.sysfs\?"/);
  });

  it('no RPM database under the root fails the packages collector: never "0 packages installed"', async () => {
    const copy = copyScenario('sles15sp6-patched');
    base = copy.base;
    rmSync(path.join(copy.scenario.root, 'usr/lib/sysimage/rpm'), { recursive: true });
    running = await startInProcess(copy.scenario);
    const text = await scrape(running);
    expect(text).toContain('klp_scrape_collector_success{collector="packages"} 0');
    for (const gone of ['klp_packages_installed', 'klp_patch_installed_version']) expect(families(text).has(gone)).toBe(false);
    expect(running.logs.join('')).toContain('collector=packages err="no RPM database (looked for /usr/lib/sysimage/rpm and /var/lib/rpm)"');
  });

  it('a command not found says where it was looked for: --exec.path, never PATH', async () => {
    const s = loadScenario('ubuntu-no-livepatch-support');
    running = await startInProcess(s);
    const text = await scrape(running);
    expect(text).toContain('klp_scrape_collector_success{collector="packages"} 0');
    expect(running.logs.join('')).toContain(`collector=packages err="rpm not found in --exec.path (${s.bin}): cannot read installed packages"`);
  });

  it('a klp that fails keeps every other collector and logs the command and its stderr', async () => {
    const copy = copyScenario('sles15sp6-patched');
    base = copy.base;
    writeFileSync(path.join(copy.scenario.dir, 'cmd/klp_status.rc'), '1\n');
    writeFileSync(path.join(copy.scenario.dir, 'cmd/klp_status.err'), 'klp: cannot read /sys/kernel/livepatch\n');
    running = await startInProcess(copy.scenario);
    const text = await scrape(running);
    expect(text).toContain('klp_scrape_collector_success{collector="klp"} 0');
    expect(text).toContain('klp_scrape_collector_success{collector="packages"} 1');
    expect(text).toContain('klp_patch_installed_version 3');
    expect(families(text).has('klp_patch_cves')).toBe(false);
    expect(running.logs.join('')).toContain('err="klp status: exited with code 1: klp: cannot read /sys/kernel/livepatch"');
  });
});
