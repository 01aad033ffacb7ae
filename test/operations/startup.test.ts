// A start loads what it needs: the YAML parser only for a config file (--config.file or
// --web.config.file), express only to serve, so starts are faster and smaller (docs/benchmarks.md).

import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MAIN } from '../helpers/exporter-process.js';

/** Run main() in a fresh node with `args`; returns whether yaml and express were loaded, and main's exit code. */
function loadedBy(args: string[]): { yaml: boolean; express: boolean; code: number } {
  const script = `import(${JSON.stringify(MAIN)}).then(async (m) => {
    const code = await m.main(${JSON.stringify(args)});
    const loaded = (p) => Object.keys(require.cache).some((k) => k.includes('/node_modules/' + p + '/'));
    process.stdout.write(JSON.stringify({ yaml: loaded('yaml'), express: loaded('express'), code }));
    process.exit(0);
  });`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`node exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout.slice(r.stdout.lastIndexOf('{'))) as { yaml: boolean; express: boolean; code: number };
}

describe('start-up loads only what it needs', () => {
  it('no YAML parser without a config file, no express without a server; yaml loaded for --config.file', () => {
    expect(loadedBy(['--config.check'])).toEqual({ yaml: false, express: false, code: 0 });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'klp-startup-'));
    try {
      const file = path.join(dir, 'klp.yml');
      writeFileSync(file, 'log:\n  level: warn\n');
      expect(loadedBy(['--config.check', `--config.file=${file}`])).toEqual({ yaml: true, express: false, code: 0 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
