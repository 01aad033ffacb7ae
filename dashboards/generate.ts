/**
 * Writes the generated monitoring files: `npm run dashboards` (run from the repository root).
 * test/alerts/generated.test.ts checks that the committed files match this output.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { outputs } from './outputs.js';

for (const [path, content] of outputs()) {
  const target = resolve(process.cwd(), path);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, content);
  console.log(`wrote ${path}`);
}
