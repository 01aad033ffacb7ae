// How the exporter is shipped: the node flags and environment of the systemd units
// (packaging/systemd) and of the container image (Dockerfile), read from those files, so that the
// benchmark starts the exporter exactly as they do.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PROJECT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const SERVICE_UNIT = 'prometheus-klp_exporter.service';
export const TEXTFILE_UNIT = 'prometheus-klp_exporter-textfile.service';

/** Split a systemd command line (no quotes are used in ours; quotes are honoured anyway). */
function words(line) {
  return [...line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]);
}

/** The program the packages install (the bundle of `npm run bundle`), and the tsc build. */
export const BUNDLE = path.join(PROJECT, 'build/klp_exporter.mjs');
const isProgram = (a) => a.endsWith('/klp_exporter.mjs') || a.endsWith('dist/main.js');

/** Node flags between the node binary and the program in an ExecStart= or ENTRYPOINT. */
function nodeFlagsOf(argv, where) {
  const n = argv.findIndex((a) => path.basename(a) === 'node');
  const m = argv.findIndex(isProgram);
  if (n < 0 || m < n) throw new Error(`${where}: cannot find "node ... klp_exporter.mjs" in ${JSON.stringify(argv)}`);
  return argv.slice(n + 1, m);
}

/** What the deployment runs: this checkout's bundle for klp_exporter.mjs, its tsc build for dist/main.js. */
function programOf(argv) {
  return argv.find(isProgram).endsWith('klp_exporter.mjs') ? BUNDLE : path.join(PROJECT, 'dist/main.js');
}

/** The node flags and environment of a systemd unit of packaging/systemd. */
export function unitDeployment(file) {
  const text = readFileSync(path.join(PROJECT, 'packaging/systemd', file), 'utf8');
  const exec = /^ExecStart=(.*)$/m.exec(text);
  if (!exec) throw new Error(`${file}: no ExecStart=`);
  const env = {};
  for (const m of text.matchAll(/^Environment=(.*)$/gm)) {
    for (const w of words(m[1])) {
      const eq = w.indexOf('=');
      if (eq > 0) env[w.slice(0, eq)] = w.slice(eq + 1);
    }
  }
  return { name: `systemd ${file}`, nodeFlags: nodeFlagsOf(words(exec[1]), file), program: programOf(words(exec[1])), env };
}

/** The node flags and environment of the container image (the final stage of the Dockerfile). */
export function containerDeployment() {
  const text = readFileSync(path.join(PROJECT, 'Dockerfile'), 'utf8');
  const stages = text.split(/^FROM\s/m);
  const last = stages[stages.length - 1];
  const entry = /^ENTRYPOINT\s+(\[.*\])\s*$/m.exec(last);
  if (!entry) throw new Error('Dockerfile: no ENTRYPOINT in exec form in the final stage');
  const env = {};
  for (const m of last.matchAll(/^ENV\s+(.*)$/gm)) {
    for (const w of words(m[1])) {
      const eq = w.indexOf('=');
      if (eq > 0) env[w.slice(0, eq)] = w.slice(eq + 1);
    }
  }
  const argv = JSON.parse(entry[1]);
  return { name: 'container (Dockerfile)', nodeFlags: nodeFlagsOf(argv, 'Dockerfile ENTRYPOINT'), program: programOf(argv), env };
}

const same = (a, b) => a.program === b.program && JSON.stringify(a.nodeFlags) === JSON.stringify(b.nodeFlags) && JSON.stringify(Object.entries(a.env).sort()) === JSON.stringify(Object.entries(b.env).sort());

/** The service deployments to measure: the unit and the container, once when they are the same. */
export function serviceDeployments() {
  const unit = unitDeployment(SERVICE_UNIT);
  const container = containerDeployment();
  return same(unit, container) ? [{ ...unit, name: `${unit.name} = ${container.name}` }] : [unit, container];
}

/** A clean environment, as systemd or a container runtime gives (PATH, then what the deployment sets). */
export const cleanEnv = (env) => ({ PATH: process.env.PATH ?? '/usr/bin:/bin', ...env });

export const describeDeployment = (d) => `${[...Object.entries(d.env).map(([k, v]) => `${k}=${v}`), 'node', ...d.nodeFlags].join(' ')} ${path.relative(PROJECT, d.program)}`;
