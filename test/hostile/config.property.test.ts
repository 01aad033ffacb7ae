// Property-based tests of the configuration parsers: YAML config files and command lines built
// from hostile text return settings or throw a ConfigError — nothing else, never slowly.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildSync } from 'esbuild';
import fc from 'fast-check';
import { buildConfig, parseCommandLine, parseConfigFile } from '../../src/config/config.js';
import { COMMAND_FLAGS, SETTINGS } from '../../src/config/settings.js';
import { ConfigError, ExporterError } from '../../src/errors.js';
import { PROJECT } from '../helpers/fixture-host.js';
import { hostileText, hostileTextUpTo, returnsOrTypedError, RUN_BUDGET_MS, RUNS } from './arbitraries.js';

const params = { numRuns: RUNS, endOnFailure: true };

const VALID_YAML = `web:
  listen_address: "127.0.0.1:10055"
  telemetry_path: /metrics
  max_requests: 10
scrape:
  timeout: 5s
collector:
  klp:
    enabled: true
    cve_info: true
  lifecycle:
    zypper: false
    fallback_months: 13
  taint: false
exec:
  timeout: 2s
  max_output_bytes: 65536
log:
  level: debug
`;

/** Deeply nested YAML / flow collections, alias bombs, huge scalars. */
const nasty = fc.oneof(
  fc.integer({ min: 1, max: 20_000 }).map((n) => '['.repeat(n) + ']'.repeat(n)),
  fc.integer({ min: 1, max: 20_000 }).map((n) => '{a: '.repeat(n) + '}'.repeat(n)),
  fc.integer({ min: 1, max: 1_500 }).map((n) => Array.from({ length: n }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n')),
  fc.integer({ min: 1, max: 30 }).map((n) => {
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i <= n; i++) lines.push(`${String.fromCharCode(97 + (i % 26))}${i}: &a${i} [*${i === 1 ? 'a' : `a${i - 1}`}, *${i === 1 ? 'a' : `a${i - 1}`}, *${i === 1 ? 'a' : `a${i - 1}`}]`);
    return lines.join('\n');
  }),
  fc.integer({ min: 1000, max: 200_000 }).map((n) => `web:\n  listen_address: "${'x'.repeat(n)}"\n`),
  fc.constantFrom('!!js/function "function(){}"', '!!binary AAAA', '? [a, b]\n: c', 'web: !!set {a, b}', '%YAML 9.9\n---\na: 1', '--- \n...\n---\n', '<<: *x', 'web:\n  <<: {listen_address: ":1"}'),
);

/** A mapping of setting keys (real and wrong) to values of every YAML type. */
const yamlValue = fc.oneof(fc.boolean(), fc.integer(), fc.double(), fc.string({ maxLength: 20 }), fc.constantFrom('5s', '1h30m', '-1', '1e400', '', '~', 'null', '0x10'));
const settingsYaml = fc.array(fc.tuple(fc.constantFrom(...SETTINGS.map((s) => s.yaml), ['collector', 'kernel'], ['web'], ['nope']), yamlValue), { maxLength: 8 }).map((pairs) => {
  const doc: Record<string, unknown> = {};
  for (const [keyPath, v] of pairs) {
    let node = doc;
    keyPath.slice(0, -1).forEach((k) => {
      if (typeof node[k] !== 'object' || node[k] === null) node[k] = {};
      node = node[k] as Record<string, unknown>;
    });
    node[keyPath[keyPath.length - 1]!] = v;
  }
  return JSON.stringify(doc); // JSON is YAML
});

/**
 * The YAML parser is linear but not cheap on broken input (one error object per stray quote:
 * about 10 µs a character in plain Node.js, several times that under jest), so the budget grows
 * with the input, and files over CONFIG_LIMITS.bytes (64 KiB) are refused before parsing.
 */
function config<T>(fn: () => T, inputLength = 0): T | undefined {
  const out = returnsOrTypedError(fn, RUN_BUDGET_MS + inputLength * 0.1);
  if (out instanceof ExporterError) {
    if (!(out instanceof ConfigError)) throw new Error(`expected a ConfigError, got ${out.name}: ${out.message}`);
    return undefined;
  }
  return out;
}

describe('configuration on hostile input (fast-check, 10,000 runs each)', () => {
  it('parseConfigFile + buildConfig', () => {
    // Huge lines up to 5,000 characters: larger ones cost seconds each here (see config()); the
    // limit itself is tested below.
    const text = fc.oneof({ arbitrary: hostileTextUpTo(5_000, VALID_YAML), weight: 6 }, { arbitrary: settingsYaml, weight: 3 }, { arbitrary: nasty, weight: 1 });
    fc.assert(
      fc.property(text, (t) => {
        const values = config(() => parseConfigFile(t, 'klp_exporter.yml'), t.length);
        if (values !== undefined) config(() => buildConfig(values, new Map(), 'klp_exporter.yml'));
      }),
      params,
    );
  });

  it('parseCommandLine + buildConfig', () => {
    const flags = [...SETTINGS.map((s) => s.flag), ...COMMAND_FLAGS.map((c) => c.flag)];
    const arg = fc.oneof(
      { arbitrary: fc.constantFrom(...flags).map((f) => `--${f}`), weight: 4 },
      { arbitrary: fc.constantFrom(...flags).map((f) => `--no-${f}`), weight: 1 },
      { arbitrary: fc.tuple(fc.constantFrom(...flags), hostileText('5s', 'true', ':10055', '/metrics', '/host', '64')).map(([f, v]) => `--${f}=${v}`), weight: 4 },
      { arbitrary: hostileText('5s', 'true', '-h', '--', '--=', '---x'), weight: 3 },
    );
    fc.assert(
      fc.property(fc.array(arg, { maxLength: 12 }), (argv) => {
        const cmd = config(() => parseCommandLine(argv));
        if (cmd !== undefined) config(() => buildConfig(new Map(), cmd.settings));
      }),
      params,
    );
  });
});

describe('deeply nested config files', () => {
  // Before the depth check, this sequence in one process ended in a V8 fatal error
  // ("RegExpCompiler Allocation failed - process out of memory", exit 134): a reload with such a
  // file would have killed the exporter. Run in a child process, against the built code, so that
  // a crash is a failed test and not a dead test runner. The child runs today's sources, bundled
  // here by esbuild (dist/ is what the last build left, and `npm run test:unit` builds nothing).
  let dir: string;
  let configModule: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'klp-config-'));
    configModule = path.join(dir, 'config.mjs');
    buildSync({
      entryPoints: [path.join(PROJECT, 'src/config/config.ts')],
      outfile: configModule,
      bundle: true,
      platform: 'node',
      format: 'esm',
      logLevel: 'error',
      // yaml is CommonJS and requires Node's modules (as in scripts/bundle.mjs).
      banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
    });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('are refused with a ConfigError, and the process survives', () => {
    const script = `
      import { parseConfigFile } from ${JSON.stringify(configModule)};
      const docs = [100, 1000, 2000, 5000].map((n) => '['.repeat(n) + ']'.repeat(n));
      docs.push(Array.from({ length: 340 }, (_, i) => ' '.repeat(i) + 'k' + i + ':').join('\\n'));
      docs.push('- '.repeat(3000) + 'x');
      for (const d of docs) {
        try { parseConfigFile(d, 'deep.yml'); console.log('accepted'); }
        catch (e) { console.log(e.constructor.name + ': ' + e.message.slice(0, 60)); }
      }`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(6);
    for (const l of lines) expect(l).toMatch(/^ConfigError: deep\.yml: line \d+: (nested deeper than 64 levels|indented deeper than 256 columns)/);
  });

  it('up to the limits still parse', () => {
    const nested = `a: ${'['.repeat(64)}${']'.repeat(64)}`;
    expect(() => parseConfigFile(nested, 'ok.yml')).toThrow('ok.yml:1: unknown key a');
    expect(() => parseConfigFile(`a: ${'['.repeat(65)}`, 'ok.yml')).toThrow('ok.yml: line 1: nested deeper than 64 levels');
    expect(() => parseConfigFile(`a:\n${' '.repeat(257)}b: 1`, 'ok.yml')).toThrow('ok.yml: line 2: indented deeper than 256 columns');
    expect(() => parseConfigFile(`# ${'"'.repeat(64 * 1024)}`, 'big.yml')).toThrow('big.yml: larger than 65536 bytes');
  });
});
