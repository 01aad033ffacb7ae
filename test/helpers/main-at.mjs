// The built exporter (dist/main.js) with its clock frozen, for tests and benchmarks that run it as
// a process: `node test/helpers/main-at.mjs --testing.now=<RFC 3339> <exporter flags>`.
// --testing.now is this launcher's flag, not the exporter's: it is taken out of the arguments (the
// last one wins) and given to main() as the clock. Without it, the clock runs.

import { main } from '../../dist/main.js';

const argv = [];
let at;
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--testing.now') at = args[++i];
  else if (a.startsWith('--testing.now=')) at = a.slice('--testing.now='.length);
  else argv.push(a);
}
const nowMs = at === undefined ? undefined : Date.parse(at);
if (nowMs !== undefined && !Number.isFinite(nowMs)) {
  process.stderr.write(`main-at: --testing.now: not an RFC 3339 time: ${JSON.stringify(at)}\n`);
  process.exit(2);
}
main(argv, nowMs === undefined ? {} : { now: () => nowMs }).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err) => {
    process.stderr.write(`klp_exporter: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
