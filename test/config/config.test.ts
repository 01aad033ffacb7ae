// Configuration: flags, YAML files (good and bad, with exact messages), precedence, --help.

import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildConfig, helpText, loadConfig, parseCommandLine, parseConfigFile } from '../../src/config/config.js';
import { formatDuration, parseDuration } from '../../src/config/duration.js';
import { ConfigError } from '../../src/errors.js';
import { PROJECT } from '../helpers/fixture-host.js';

const dir = path.join(PROJECT, 'test/fixtures/config');
const file = (name: string) => path.join(dir, name);
const parseFile = (name: string) => parseConfigFile(readFileSync(file(name), 'utf8'), name);

describe('durations', () => {
  it.each([
    ['500ms', 500],
    ['5s', 5000],
    ['2m', 120_000],
    ['6h', 21_600_000],
    ['1d', 86_400_000],
    ['1h30m', 5_400_000],
    ['0', 0],
    ['1w', 604_800_000],
  ])('%s', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
    expect(parseDuration(formatDuration(ms))).toBe(ms);
  });
  it.each(['', '5', '5 s', 's', '1m1h', '-5s', '1.5s', '5S'])('rejects %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});

describe('config files', () => {
  it.each([
    ['unknown-key.bad.yml', 'unknown-key.bad.yml:2: unknown key web.listen_addres'],
    ['unknown-collector.bad.yml', 'unknown-collector.bad.yml:2: unknown key collector.frobnicator'],
    ['bad-bool.bad.yml', 'bad-bool.bad.yml:3: collector.klp.cve_info: expected true or false'],
    ['not-a-mapping.bad.yml', 'not-a-mapping.bad.yml:1: web: expected a mapping'],
    ['duplicate-key.bad.yml', /^duplicate-key.bad.yml: invalid YAML: Map keys must be unique/],
    ['invalid-yaml.bad.yml', /^invalid-yaml.bad.yml: invalid YAML: /],
  ])('%s is rejected with a message naming the key and file', (name, message) => {
    expect(() => parseFile(name)).toThrow(ConfigError);
    expect(() => parseFile(name)).toThrow(message);
  });

  it.each([
    ['bad-duration.bad.yml', 'bad-duration.bad.yml:2: exec.timeout: not a duration (like 500ms, 5s, 2m, 6h)'],
    ['bad-enum.bad.yml', 'bad-enum.bad.yml:2: log.level: expected one of debug, info, warn, error'],
    ['out-of-range.bad.yml', 'out-of-range.bad.yml:3: collector.lifecycle.fallback_months: expected a whole number from 0 to 120'],
  ])('%s is rejected when the config is built, without repeating the value', (name, message) => {
    expect(() => buildConfig(parseFile(name), new Map(), name)).toThrow(new ConfigError(message));
  });

  it('the documented example is valid and equals the defaults', () => {
    const fromExample = buildConfig(parseFile('full.good.yml'), new Map(), file('full.good.yml'));
    const defaults = buildConfig(new Map(), new Map());
    expect(fromExample).toEqual(defaults);
    expect(buildConfig(parseFile('empty.good.yml'), new Map())).toEqual(defaults);
  });

  it('reads shorthand and nested collector settings', () => {
    const c = buildConfig(parseFile('partial.good.yml'), new Map());
    expect(c.collectors).toMatchObject({ packages: false, klp: false, lifecycle: true, kernel: true });
    expect(c.lifecycle.zypper).toBe(true);
    expect(c.exec.timeoutMs).toBe(2000);
  });
});

describe('flags', () => {
  it('parses values, booleans and negations; flags override the file', () => {
    const cmd = parseCommandLine([
      '--web.listen-address=127.0.0.1:9999',
      '--exec.timeout',
      '3s',
      '--no-collector.klp',
      '--collector.lifecycle.zypper',
      '--collector.packages=true',
      '--config.file',
      file('partial.good.yml'),
    ]);
    expect(cmd.configFile).toBe(file('partial.good.yml'));
    const c = buildConfig(parseFile('partial.good.yml'), cmd.settings, 'partial.good.yml');
    expect(c.web.listenAddresses).toEqual([{ address: '127.0.0.1:9999', host: '127.0.0.1', port: 9999 }]);
    expect(c.exec.timeoutMs).toBe(3000);
    expect(c.collectors.klp).toBe(false);
    expect(c.collectors.packages).toBe(true); // flag over file
    expect(c.lifecycle.zypper).toBe(true);
  });

  it.each([
    [['--web.listen-adress=:1'], 'unknown flag --web.listen-adress'],
    [['--no-web.listen-address'], 'unknown flag --no-web.listen-address'],
    [['--exec.timeout'], 'flag --exec.timeout needs a value'],
    [['--collector.klp=maybe'], 'flag --collector.klp: expected true or false, got "maybe"'],
    [['positional'], 'unexpected argument "positional"'],
  ])('%j is rejected', (argv, message) => {
    expect(() => parseCommandLine(argv)).toThrow(message);
  });

  it('a repeated flag is never "last one wins": --web.listen-address adds an address, any other is an error', () => {
    const c = buildConfig(new Map(), parseCommandLine(['--web.listen-address=127.0.0.1:9999', '--web.listen-address', '[::1]:9998', '--web.listen-address=:9997']).settings);
    expect(c.web.listenAddresses).toEqual([
      { address: '127.0.0.1:9999', host: '127.0.0.1', port: 9999 },
      { address: '[::1]:9998', host: '::1', port: 9998 },
      { address: ':9997', host: undefined, port: 9997 },
    ]);
    for (const argv of [
      ['--exec.timeout=1s', '--exec.timeout=2s'],
      ['--collector.klp', '--no-collector.klp'],
      ['--scrape.timeout=1s', '--scrape.timeout', '2s'],
      ['--config.file=a.yml', '--config.file=b.yml'],
    ]) {
      const name = argv[0]!.replace(/^--(no-)?/, '').split('=')[0];
      expect(() => parseCommandLine(argv)).toThrow(`flag --${name} given more than once`);
    }
  });

  it.each([
    [['--web.listen-address=10055'], 'flag --web.listen-address: invalid listen address "10055": expected [host]:port'],
    [['--web.listen-address=:99999'], 'flag --web.listen-address: invalid listen address ":99999": port must be 0 to 65535'],
    [['--web.listen-address=:1', '--web.listen-address=nonsense'], 'flag --web.listen-address: invalid listen address "nonsense"'],
    [['--web.listen-address=127.0.0.1:1', '--web.listen-address=127.0.0.1:1'], 'flag --web.listen-address: "127.0.0.1:1" given more than once'],
  ])('checks listen addresses when the configuration is built: %j', (argv, message) => {
    expect(() => buildConfig(new Map(), parseCommandLine(argv).settings)).toThrow(message);
  });

  it('takes one listen address or a list of them from the config file, and checks them', () => {
    expect(buildConfig(parseConfigFile('web:\n  listen_address: ["127.0.0.1:1", "[::1]:2"]\n', 'x.yml'), new Map(), 'x.yml').web.listenAddresses.map((a) => a.port)).toEqual([1, 2]);
    expect(() => buildConfig(parseConfigFile('web:\n  listen_address: 10055\n', 'x.yml'), new Map(), 'x.yml')).toThrow('x.yml:2: web.listen_address: invalid listen address: expected [host]:port');
    expect(() => buildConfig(parseConfigFile('web:\n  listen_address: []\n', 'x.yml'), new Map(), 'x.yml')).toThrow('x.yml:2: web.listen_address: expected at least one address');
  });

  it('checks values given as flags, naming the flag', () => {
    expect(() => buildConfig(new Map(), parseCommandLine(['--exec.timeout=fast']).settings)).toThrow('flag --exec.timeout: not a duration');
    expect(() => buildConfig(new Map(), parseCommandLine(['--web.telemetry-path=/']).settings)).toThrow('web.telemetry-path: must start with "/"');
    // The clock is not a production setting: tests inject it (ExporterOptions.now, test/helpers/main-at.mjs).
    expect(() => parseCommandLine(['--testing.now=2025-06-01T00:00:00Z'])).toThrow('unknown flag --testing.now');
  });

  it('fails to load a missing config file with a clear message', async () => {
    await expect(loadConfig(parseCommandLine(['--config.file', file('nope.yml')]))).rejects.toThrow(`${file('nope.yml')}: cannot read config file: ENOENT`);
  });

  it('generates help for every visible setting', () => {
    const help = helpText();
    for (const f of ['--web.listen-address', '--[no-]collector.klp', '--collector.lifecycle.zypper-interval', '--exec.timeout', '--config.check']) expect(help).toContain(f);
    expect(help).not.toContain('testing.now');
  });
});
