// A start loads what it needs: express and the web config (TLS, basic auth) only to serve, so
// textfile runs and --config.check start faster and smaller (docs/benchmarks.md).

import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DIST_MAIN } from '../helpers/exporter-process.js';
import { loadScenario } from '../helpers/fixture-host.js';

/** Run main() in a fresh node with `args`; returns whether express was loaded, and main's exit code. */
function loadedBy(args: string[]): { express: boolean; code: number } {
  const script = `import(${JSON.stringify(DIST_MAIN)}).then(async (m) => {
    const code = await m.main(${JSON.stringify(args)});
    const loaded = (p) => Object.keys(require.cache).some((k) => k.includes('/node_modules/' + p + '/'));
    process.stdout.write(JSON.stringify({ express: loaded('express'), code }));
    process.exit(0);
  });`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`node exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout.slice(r.stdout.lastIndexOf('{'))) as { express: boolean; code: number };
}

describe('start-up loads only what it needs', () => {
  it('no express for --config.check or a textfile run', () => {
    expect(loadedBy(['--config.check'])).toEqual({ express: false, code: 0 });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'klp-startup-'));
    try {
      const host = loadScenario('sles15sp6-patched');
      expect(loadedBy(['--path.rootfs', host.root, '--exec.path', host.bin, `--textfile.output=${path.join(dir, 'klp.prom')}`])).toEqual({ express: false, code: 0 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
