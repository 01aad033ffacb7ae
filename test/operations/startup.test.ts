// A start loads what it needs: the YAML parser only for a config file (--config.file or
// --web.config.file), so a plain start is faster and smaller (docs/benchmarks.md).

import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MAIN } from '../helpers/exporter-process.js';

/** Run main() in a fresh node with `args`; returns whether the yaml package was loaded, and main's exit code. */
function yamlLoadedBy(args: string[]): { yaml: boolean; code: number } {
  const script = `import(${JSON.stringify(MAIN)}).then(async (m) => {
    const code = await m.main(${JSON.stringify(args)});
    const yaml = Object.keys(require.cache).some((k) => k.includes('/node_modules/yaml/'));
    process.stdout.write(JSON.stringify({ yaml, code }));
    process.exit(0);
  });`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`node exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout.slice(r.stdout.lastIndexOf('{'))) as { yaml: boolean; code: number };
}

describe('start-up loads only what it needs', () => {
  it('no YAML parser without a config file; loaded for --config.file', () => {
    expect(yamlLoadedBy(['--config.check'])).toEqual({ yaml: false, code: 0 });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'klp-startup-'));
    try {
      const file = path.join(dir, 'klp.yml');
      writeFileSync(file, 'log:\n  level: warn\n');
      expect(yamlLoadedBy(['--config.check', `--config.file=${file}`])).toEqual({ yaml: true, code: 0 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
