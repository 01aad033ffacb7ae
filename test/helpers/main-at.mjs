// The exporter run as a process with its clock frozen, for tests (and anyone reproducing a golden
// scrape by hand): `node test/helpers/main-at.mjs [--testing.program=<file>] --testing.now=<RFC 3339> <exporter flags>`.
// --testing.now and --testing.program are this launcher's flags, not the exporter's: they are taken out
// of the arguments (the last one wins). The program (default: the tsc build, dist/main.js; or the
// bundle, or the installed RPM's program) is imported, and its main() is given the clock. Without
// --testing.now, the clock runs.

import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const argv = [];
let at;
let program = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/main.js');
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--testing.now') at = args[++i];
  else if (a.startsWith('--testing.now=')) at = a.slice('--testing.now='.length);
  else if (a.startsWith('--testing.program=')) program = path.resolve(a.slice('--testing.program='.length));
  else argv.push(a);
}
const nowMs = at === undefined ? undefined : Date.parse(at);
if (nowMs !== undefined && !Number.isFinite(nowMs)) {
  process.stderr.write(`main-at: --testing.now: not an RFC 3339 time: ${JSON.stringify(at)}\n`);
  process.exit(2);
}
const { main } = await import(pathToFileURL(program).href);
main(argv, nowMs === undefined ? {} : { now: () => nowMs }).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err) => {
    process.stderr.write(`klp_exporter: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
