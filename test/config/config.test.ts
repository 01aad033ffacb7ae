// Configuration: flags, YAML files (good and bad, with exact messages), precedence, --help.

import { describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
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
    [['--web.listen-adress=:1'], 'unknown flag --web.listen-adress; did you mean --web.listen-address? (klp_exporter --help lists the flags)'],
    [['--collector.lifecycle.zyper'], 'unknown flag --collector.lifecycle.zyper; did you mean --collector.lifecycle.zypper? (klp_exporter --help lists the flags)'],
    [['--no-colector.klp'], 'unknown flag --no-colector.klp; did you mean --no-collector.klp? (klp_exporter --help lists the flags)'],
    [['--config.chek'], 'unknown flag --config.chek; did you mean --config.check? (klp_exporter --help lists the flags)'],
    [['--frobnicate'], 'unknown flag --frobnicate (klp_exporter --help lists the flags)'],
    [['--no-web.listen-address'], 'unknown flag --no-web.listen-address: --web.listen-address takes a value; only true/false flags have a --no- form (klp_exporter --help lists the flags)'],
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
    await expect(loadConfig(parseCommandLine(['--config.file', file('nope.yml')]))).rejects.toThrow(new ConfigError(`${file('nope.yml')}: cannot read the file of --config.file: no such file`));
    await expect(loadConfig(parseCommandLine(['--config.file', dir]))).rejects.toThrow(new ConfigError(`${dir}: cannot read the file of --config.file: is a directory, not a file`));
  });

  it('generates help for every visible setting', () => {
    const help = helpText();
    for (const f of ['--web.listen-address', '--[no-]collector.klp', '--collector.lifecycle.zypper-interval', '--exec.timeout', '--config.check']) expect(help).toContain(f);
    expect(help).not.toContain('testing.now');
  });
});

describe('host paths', () => {
  // With a root path that does not exist, `rpm --root` printed nothing and exited 0: "0 packages installed".
  it('refuses a root, sysfs or procfs path that does not exist, naming the flag or the key', async () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'klp-paths-'));
    try {
      const load = (...argv: string[]) => loadConfig(parseCommandLine(argv));
      await expect(load('--path.rootfs=/does/not/exist')).rejects.toThrow(new ConfigError('flag --path.rootfs: /does/not/exist does not exist'));
      await expect(load('--path.rootfs', tmp)).rejects.toThrow(new ConfigError(`default of --path.sysfs: ${tmp}/sys (/sys under --path.rootfs) does not exist`));
      mkdirSync(path.join(tmp, 'sys'));
      await expect(load('--path.rootfs', tmp)).rejects.toThrow(new ConfigError(`default of --path.procfs: ${tmp}/proc (/proc under --path.rootfs) does not exist`));
      writeFileSync(path.join(tmp, 'proc'), '');
      await expect(load('--path.rootfs', tmp)).rejects.toThrow(new ConfigError(`default of --path.procfs: ${tmp}/proc (/proc under --path.rootfs) is not a directory`));
      rmSync(path.join(tmp, 'proc'));
      mkdirSync(path.join(tmp, 'proc'));
      expect((await load('--path.rootfs', tmp)).path.rootfs).toBe(tmp);
      await expect(load('--path.rootfs', tmp, '--path.sysfs=/does/not/sys')).rejects.toThrow(new ConfigError('flag --path.sysfs: /does/not/sys does not exist'));
      // In the config file (so also on reload, which reads it with loadConfig): the file, the line and the key.
      const f = path.join(tmp, 'klp.yml');
      writeFileSync(f, `log:\n  level: info\npath:\n  procfs: ${tmp}/nowhere\n`);
      await expect(load('--config.file', f, '--path.rootfs', tmp)).rejects.toThrow(new ConfigError(`${f}:4: path.procfs: ${tmp}/nowhere does not exist`));
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe('--exec.path', () => {
  // --help says absolute; a relative entry was dropped without a word, and the log then said "not found on PATH".
  it.each([
    ['bin', 'flag --exec.path: "bin" is not an absolute directory (every entry of the colon-separated list must start with "/")'],
    ['/usr/bin:sbin', 'flag --exec.path: "sbin" is not an absolute directory (every entry of the colon-separated list must start with "/")'],
    ['/usr/bin::/bin', 'flag --exec.path: an empty entry is not an absolute directory (every entry of the colon-separated list must start with "/")'],
  ])('refuses a relative or empty entry: %j', (value, message) => {
    expect(() => buildConfig(new Map(), parseCommandLine([`--exec.path=${value}`]).settings)).toThrow(new ConfigError(message));
  });

  it('takes absolute directories, from a flag or the file', () => {
    expect(buildConfig(new Map(), parseCommandLine(['--exec.path=/opt/bin:/usr/bin']).settings).exec.path).toBe('/opt/bin:/usr/bin');
    expect(() => buildConfig(parseConfigFile('exec:\n  path: ./bin\n', 'x.yml'), new Map(), 'x.yml')).toThrow('x.yml:2: exec.path: "./bin" is not an absolute directory');
  });
});

describe('error wording', () => {
  // The yaml library reports an unterminated quote or flow collection where it gave up (often the end of the file).
  it.each([
    ['log:\n  level: "debug\nexec:\n  timeout: 2s\n', 'x.yml: invalid YAML: Missing closing "quote at line 2, column 10'],
    ["log:\n  level: 'debug\n\n\nexec: {}\n", "x.yml: invalid YAML: Missing closing 'quote at line 2, column 10"],
    ['web:\n  listen_address: [":1", ":2"\nlog:\n  level: info\n', 'x.yml: invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ] at line 2, column 19'],
    ['a:\n  - x\n y: 2\n', 'x.yml: invalid YAML: All mapping items must start at the same column at line 3, column 1'],
  ])('a YAML error is reported where the offending token starts: %j', (text, message) => {
    expect(() => parseConfigFile(text, 'x.yml')).toThrow(new ConfigError(message));
  });

  it.each([
    ['collector:\n  packages: maybe\n', 'x.yml:2: collector.packages: expected true or false, or a mapping with the key enabled'],
    ['collector:\n  lifecycle: 3\n', 'x.yml:2: collector.lifecycle: expected true or false, or a mapping with the keys enabled, zypper, zypper_interval, fallback_months'],
  ])('a collector switch says what it takes: %j', (text, message) => {
    expect(() => parseConfigFile(text, 'x.yml')).toThrow(new ConfigError(message));
  });
});
