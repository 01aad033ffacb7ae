// The live patch system boundary: vendor knowledge stays in its folder under src/systems/, and the
// generic code reaches it only through the LivePatchSystem interface (src/systems/system.ts).

import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { PROJECT } from '../helpers/fixture-host.js';

const SRC = path.join(PROJECT, 'src');
const files = (readdirSync(SRC, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts')).map((f) => f.split(path.sep).join('/'));
/**
 * Every module a file reaches, by TypeScript's own reader: `import … from`, `import type`, a bare
 * `import '…'`, `export … from` and dynamic `import('…')`, resolved against the file (relative
 * specifiers only: packages are no system's internals).
 */
const importsIn = (text: string, file: string) =>
  ts
    .preProcessFile(text, true, true)
    .importedFiles.map((f) => f.fileName)
    .filter((name) => name.startsWith('.'))
    .map((name) => path.posix.join(path.posix.dirname(file), name));
const importsOf = (file: string) => importsIn(readFileSync(path.join(SRC, file), 'utf8'), file);

describe('live patch system boundary', () => {
  it('sees every way a file reaches another module (sanity check of the check)', () => {
    const text = [
      "import a from './a.js';",
      "import type { B } from './b.js';",
      "import './c.js';",
      "export { d } from './d.js';",
      "export * from './e.js';",
      "export type { F } from './f.js';",
      "const g = await import('./g.js');",
      'const h = import(`./h.js`);',
      "import { i } from 'node:fs';",
      "const j = 'import k from ./k.js';",
    ].join('\n');
    expect(importsIn(text, 'scrape/x.ts')).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map((m) => `scrape/${m}.js`));
  });

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

  it('every dynamic import() names its module (a computed one would reach any module unseen)', () => {
    const computed: string[] = [];
    for (const f of files) {
      const source = ts.createSourceFile(f, readFileSync(path.join(SRC, f), 'utf8'), ts.ScriptTarget.Latest, true);
      const visit = (node: ts.Node) => {
        if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && !ts.isStringLiteralLike(node.arguments[0] ?? node)) {
          computed.push(`${f}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`);
        }
        ts.forEachChild(node, visit);
      };
      visit(source);
    }
    expect(computed).toEqual([]);
  });

  it("the vendor's formats (klp output, lifecycle data) are read only inside a system folder", () => {
    const readers = files.filter((f) => importsOf(f).some((t) => /^parsers\/(klp|lifecycle)\.js$/.test(t)));
    expect(readers.filter((f) => !f.startsWith('systems/'))).toEqual([]);
  });
});
