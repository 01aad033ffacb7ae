// Security properties of the code itself, checked on the source: one place runs commands, and
// it never uses a shell; nothing serves files or evaluates text as code; commands are looked up
// once, at start-up, and a tool that appears later is not run.

import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync, rmSync, symlinkSync, cpSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseExposition } from '../helpers/exposition.js';
import { HOSTS, loadScenario, PROJECT, startInProcess } from '../helpers/fixture-host.js';

function sources(dir = path.join(PROJECT, 'src')): Array<{ file: string; text: string }> {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => {
      const file = path.join(e.parentPath, e.name);
      return { file: path.relative(PROJECT, file), text: readFileSync(file, 'utf8') };
    });
}

describe('source rules', () => {
  const src = sources();

  it('finds the sources', () => {
    expect(src.length).toBeGreaterThan(20);
  });

  it('only src/host/exec.ts starts processes, without a shell', () => {
    const spawning = src.filter((s) => /from ['"](node:)?child_process['"]|from ['"]execa['"]|\bexeca\(|\bspawn\(|\bexecSync\(|\bexecFile/.test(s.text)).map((s) => s.file);
    expect(spawning).toEqual(['src/host/exec.ts']);
    const exec = src.find((s) => s.file === 'src/host/exec.ts')!.text;
    expect(exec).toMatch(/shell: false/);
    expect(exec).toMatch(/extendEnv: false/);
    expect(src.filter((s) => /shell:\s*true/.test(s.text))).toEqual([]);
  });

  it('nothing evaluates text as code or serves files', () => {
    const bad = src.filter((s) => /\beval\(|new Function\(|express\.static|\.sendFile\(|\.download\(|serve-static/.test(s.text)).map((s) => s.file);
    expect(bad).toEqual([]);
  });

  it('commands run only through ctx.run with a literal command name', () => {
    const calls = src.flatMap((s) => [...s.text.matchAll(/ctx\.run\(([^,]+),/g)].map((m) => `${s.file}: ${m[1]}`));
    expect(calls.length).toBeGreaterThan(0);
    for (const c of calls) expect(c).toMatch(/: ('(rpm|zypper)'|tool)$/);
  });
});

describe('commands are resolved once, at start-up', () => {
  it('a klp that appears in --exec.path after start-up is never run', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'klp-resolve-'));
    try {
      cpSync(path.join(HOSTS, 'sles15sp6-patched'), path.join(dir, 'h'), { recursive: true });
      const s = loadScenario('h', dir);
      const klp = path.join(s.bin, 'klp');
      const target = path.join(PROJECT, 'test/fixtures/bin/fake-tool.mjs');
      rmSync(klp);
      const r = await startInProcess(s);
      try {
        symlinkSync(target, klp); // appears after start-up
        const samples = parseExposition(await (await fetch(`${r.url}/metrics`)).text());
        expect(samples.get('klp_exporter_command_available{command="klp"}')).toBe(0);
        expect(samples.has('klp_exporter_command_runs_total{command="klp"}')).toBe(false);
        expect(samples.get('klp_exporter_command_runs_total{command="rpm"}')).toBeGreaterThan(0);
      } finally {
        await r.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
