// The exporter runs with the same node flags wherever it is shipped (the systemd units, the
// container image, npm start), and `npm run bench` measures it with the unit's
// (bench/deployment.mjs): a flag added in one place only would be measured nowhere.

import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT } from '../helpers/fixture-host.js';

const read = (f: string) => readFileSync(path.join(PROJECT, f), 'utf8');
/** The words between the node binary and the program (the bundle, or dist/main.js for npm start). */
const flagsOf = (argv: string[]) =>
  argv.slice(
    argv.findIndex((a) => path.basename(a) === 'node') + 1,
    argv.findIndex((a) => a.endsWith('klp_exporter.mjs') || a.endsWith('dist/main.js')),
  );
const unitFlags = (unit: string) => flagsOf(/^ExecStart=(.*)$/m.exec(read(`packaging/systemd/${unit}`))![1]!.split(/\s+/));

describe('node flags', () => {
  it('are the same in both systemd units, the container and npm start', () => {
    const service = unitFlags('prometheus-klp_exporter.service');
    expect(service).toContain('--lite-mode');
    expect(unitFlags('prometheus-klp_exporter-textfile.service')).toEqual(service);
    const entrypoint = JSON.parse(/^ENTRYPOINT\s+(\[.*\])\s*$/m.exec(read('Dockerfile'))![1]!) as string[];
    expect(flagsOf(entrypoint)).toEqual(service);
    const start = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts.start!;
    expect(flagsOf(start.split('&&').pop()!.trim().split(/\s+/))).toEqual(service);
  });
});
