#!/usr/bin/env node
// `npm run bundle`: klp_exporter as one JavaScript file for Node.js 20+, build/klp_exporter.mjs, that needs no
// node_modules beside it. esbuild bundles src/main.ts with every runtime dependency; src/embedded.ts is replaced
// by a module that carries what the tsc build reads from beside dist/: the version (package.json) and revision,
// the bcryptjs library as CommonJS source (the password-check worker thread evaluates it), and the shipped
// alert rules and dashboards (`klp_exporter rules`, `klp_exporter dashboard`). No test fixture is included.
//
// usage: node scripts/bundle.mjs [--outfile=build/klp_exporter.mjs]
// Revision: $KLP_REVISION, else `git rev-parse HEAD` of the checkout, else "unknown" (a release tarball).
// Version: package.json, or $KLP_VERSION (e.g. a pre-release build number).

import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { outfile: { type: 'string', default: 'build/klp_exporter.mjs' } }, strict: true });
const outfile = path.resolve(ROOT, values.outfile);

const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
function revision() {
  if (process.env.KLP_REVISION) return process.env.KLP_REVISION;
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}
const buildInfo = { version: process.env.KLP_VERSION || pkg.version, revision: revision() };

// The CommonJS build of bcryptjs (its "require" export), evaluated by the worker thread.
const bcryptPath = createRequire(path.join(ROOT, 'package.json')).resolve('bcryptjs');
const files = {
  bcryptjs: readFileSync(bcryptPath, 'utf8'),
  'alerts/klp.rules.yml': readFileSync(path.join(ROOT, 'alerts/klp.rules.yml'), 'utf8'),
  'dashboards/klp-fleet.json': readFileSync(path.join(ROOT, 'dashboards/klp-fleet.json'), 'utf8'),
  'dashboards/klp-host.json': readFileSync(path.join(ROOT, 'dashboards/klp-host.json'), 'utf8'),
};

const embedPlugin = {
  name: 'klp-embedded',
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/]embedded\.ts$/ }, () => ({
      loader: 'js',
      contents: `export const embeddedBuild = Object.freeze(${JSON.stringify(buildInfo)});\n` + `export const embeddedFiles = Object.freeze(${JSON.stringify(files)});\n`,
    }));
  },
};

const result = await build({
  absWorkingDir: ROOT,
  entryPoints: ['src/main.ts'],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'eof',
  metafile: true,
  logLevel: 'warning',
  // CommonJS dependencies (express, prom-client) call require() on Node's modules.
  banner: { js: "import { createRequire as __klpCreateRequire } from 'node:module';\nconst require = __klpCreateRequire(import.meta.url);" },
  plugins: [embedPlugin],
});

const inputs = Object.keys(result.metafile.inputs);
const fixtures = inputs.filter((i) => i.startsWith('test/'));
if (fixtures.length > 0) throw new Error(`the bundle must not contain test files: ${fixtures.join(', ')}`);
const kib = (statSync(outfile).size / 1024).toFixed(0);
console.log(`bundle: ${path.relative(ROOT, outfile)} (${kib} KiB, ${inputs.length} modules) version ${buildInfo.version} revision ${buildInfo.revision}`);
