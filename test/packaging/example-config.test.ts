// examples/klp_exporter.yml claims every key at its default: checked against the settings list
// (src/config/settings.ts and the collectors' own settings), both ways.

import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildConfig, parseConfigFile } from '../../src/config/config.js';
import { SETTINGS } from '../../src/config/settings.js';
import { PROJECT } from '../helpers/fixture-host.js';

const FILE = path.join(PROJECT, 'examples/klp_exporter.yml');
const text = readFileSync(FILE, 'utf8');

/** Settings without a default appear commented out (`# key: value`, `# section:`, as they would be indented): uncommented. */
const uncommented = text.replace(/^(\s*)# ( *[a-z_]+:(?: .*)?)$/gm, '$1$2');

describe('examples/klp_exporter.yml', () => {
  it('sets every setting that has a default to that default', () => {
    const values = parseConfigFile(text, 'klp_exporter.yml');
    const withDefault = SETTINGS.filter((s) => s.default !== undefined);
    expect(Object.fromEntries(withDefault.map((s) => [s.flag, values.get(s.flag)]))).toEqual(Object.fromEntries(withDefault.map((s) => [s.flag, s.default])));
    expect([...values.keys()].sort()).toEqual(withDefault.map((s) => s.flag).sort());
    expect(() => buildConfig(values, new Map(), 'klp_exporter.yml')).not.toThrow();
  });

  it('names every setting without a default in a commented-out line at its place, and nothing else', () => {
    const values = parseConfigFile(uncommented, 'klp_exporter.yml');
    expect([...values.keys()].sort()).toEqual(SETTINGS.map((s) => s.flag).sort());
    expect(() => buildConfig(values, new Map(), 'klp_exporter.yml')).not.toThrow();
  });
});
