// A host with thousands of loaded live patches and thousands of installed versions of the running
// kernel's live patch package, scraped through the real server: the scrape answers, correctly, and
// the time it takes is printed (performance targets live in `npm run bench`, not in unit tests).

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { copyScenario, startInProcess, type RunningExporter } from '../helpers/fixture-host.js';

const N = 3000;
const LIVEPATCH = 'kernel-livepatch-6_4_0-150600_23_25-default';

describe(`a host with ${N} loaded patches × ${N} installed versions`, () => {
  let base = '';
  let running: RunningExporter;

  beforeAll(async () => {
    const copy = copyScenario('sles15sp6-patched');
    base = copy.base;
    const { root, dir } = copy.scenario;
    const sysfs = path.join(root, 'sys/kernel/livepatch');
    rmSync(sysfs, { recursive: true, force: true });
    const rpm = ['kernel-default\t6.4.0\t150600.23.25.1\tx86_64\t1729165662\t1745000000'];
    for (let v = 1; v <= N; v++) {
      const release = `150600.13.${v}.1`;
      const dir = path.join(sysfs, `livepatch_${v}_${release.replace(/\./g, '_')}`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, 'enabled'), '1\n');
      writeFileSync(path.join(dir, 'transition'), '0\n');
      rpm.push(`${LIVEPATCH}\t${v}\t${release}\tx86_64\t1747382400\t1745000000`);
    }
    writeFileSync(path.join(dir, 'cmd/rpm_-qa.out'), `${rpm.join('\n')}\n`);
    writeFileSync(path.join(dir, 'cmd/klp_-v_patches.out'), '');
    running = await startInProcess(copy.scenario, ['--collector.lifecycle.fallback-months', '0']);
  }, 60_000);

  afterAll(async () => {
    await running?.close();
    if (base) rmSync(base, { recursive: true, force: true });
  });

  it('scrapes with every patch mapped to its own package and the highest one active', async () => {
    const times: number[] = [];
    let body = '';
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      const res = await fetch(`${running.url}/metrics`);
      body = await res.text();
      times.push(performance.now() - t0);
      expect(res.status).toBe(200);
    }
    expect(body).toMatch(/^klp_patch_active_version 3000$/m);
    expect(body).toMatch(/^klp_patch_installed_version 3000$/m);
    expect(body.match(/^klp_patch_info\{/gm)).toHaveLength(N);
    expect(body).toMatch(/^klp_scrape_collector_success\{collector="livepatch"\} 1$/m);
    process.stderr.write(`large host (${N} × ${N}): scrapes took ${times.map((t) => t.toFixed(0)).join(' / ')} ms\n`);
  }, 60_000);
});
