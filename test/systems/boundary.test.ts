// The live patch system boundary: vendor knowledge stays in its folder under src/systems/, and the
// generic code reaches it only through the LivePatchSystem interface (src/systems/system.ts).

import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT } from '../helpers/fixture-host.js';

const SRC = path.join(PROJECT, 'src');
const files = (readdirSync(SRC, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts')).map((f) => f.split(path.sep).join('/'));
const importsOf = (file: string) => [...readFileSync(path.join(SRC, file), 'utf8').matchAll(/^import\s[^;]*?from\s+'([^']+)'/gms)].map((m) => path.posix.join(path.posix.dirname(file), m[1]!));

describe('live patch system boundary', () => {
  it('only src/systems/index.ts imports a system folder; a system imports no other system', () => {
    const systems = new Set(files.filter((f) => /^systems\/[^/]+\//.test(f)).map((f) => f.split('/')[1]!));
    expect(systems).toContain('suse');
    const crossing: string[] = [];
    for (const f of files) {
      const own = /^systems\/([^/]+)\//.exec(f)?.[1];
      for (const target of importsOf(f)) {
        const sys = /^systems\/([^/]+)\//.exec(target)?.[1];
        if (sys !== undefined && sys !== own && f !== 'systems/index.ts') crossing.push(`${f} → ${target}`);
      }
    }
    expect(crossing).toEqual([]);
  });

  it("the vendor's formats (klp output, lifecycle data) are read only inside a system folder", () => {
    const readers = files.filter((f) => importsOf(f).some((t) => /^parsers\/(klp|lifecycle)\.js$/.test(t)));
    expect(readers.filter((f) => !f.startsWith('systems/'))).toEqual([]);
  });
});
