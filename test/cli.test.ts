// The exporter as a user runs it: `node dist/main.js` with flags, against a fixture host.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import net from 'node:net';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MAIN, startExporter, type ExporterProcess } from './helpers/exporter-process.js';
import { loadScenario, scenarioArgs } from './helpers/fixture-host.js';

const run = (args: string[]) => spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 20_000 });
const scenario = loadScenario('sles15sp6-patched');
const PORT = 19_455;

describe('serving', () => {
  let exp: ExporterProcess;
  beforeAll(async () => {
    exp = await startExporter(scenario, PORT, ['--log.format=json']);
  });
  afterAll(async () => {
    await exp.stop();
  });

  it('serves the fixture host on /metrics', async () => {
    const res = await fetch(`${exp.url}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('klp_livepatch_state{state="patched"} 1');
    expect(text).toContain('klp_patch_active_version 3');
    expect(text).toContain('klp_patch_days_until_expiry 138');
    expect(text).not.toContain('process_cpu');
  });

  it('has a landing page, a health endpoint, 404 and 405', async () => {
    const landing = await fetch(`${exp.url}/`);
    expect(landing.status).toBe(200);
    expect(await landing.text()).toContain('href="metrics"');
    expect(landing.headers.get('x-content-type-options')).toBe('nosniff');
    expect((await fetch(`${exp.url}/-/healthy`)).status).toBe(200);
    expect((await fetch(`${exp.url}/metrics/extra`)).status).toBe(404);
    expect((await fetch(`${exp.url}/../etc/passwd`)).status).toBe(404);
    const post = await fetch(`${exp.url}/metrics`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    expect((await fetch(`${exp.url}/-/reload`, { method: 'POST' })).status).toBe(404); // lifecycle API is off
    const head = await fetch(`${exp.url}/metrics`, { method: 'HEAD' });
    expect(head.status).toBe(200);
  });

  it('logs structured lines', () => {
    const first = exp.stderr().split('\n')[0]!;
    // Errors name host files as the host sees them: the root path they are under is said once, here.
    expect(JSON.parse(first)).toMatchObject({ level: 'info', msg: 'listening', rootfs: scenario.root });
  });

  it('runs no command for a scrape of an unchanged host', async () => {
    const runs = async () =>
      (await (await fetch(`${exp.url}/metrics`)).text())
        .split('\n')
        .filter((l) => l.startsWith('klp_exporter_command_runs_total'))
        .join('\n');
    const before = await runs();
    for (let i = 0; i < 5; i++) await fetch(`${exp.url}/metrics`);
    expect(await runs()).toBe(before);
  });
});

describe('listening on several addresses', () => {
  it('listens on each --web.listen-address (as exporter-toolkit based exporters do), and stops on SIGTERM', async () => {
    const exp = await startExporter(scenario, PORT + 1, ['--web.listen-address=127.0.0.1:' + String(PORT + 2)]);
    try {
      for (const port of [PORT + 1, PORT + 2]) {
        const res = await fetch(`http://127.0.0.1:${port}/metrics`);
        expect(res.status).toBe(200);
        expect(await res.text()).toContain('klp_patch_active_version 3');
      }
      expect(exp.stderr()).toContain(`127.0.0.1:${PORT + 2}`);
    } finally {
      expect(await exp.stop()).toBe(0);
    }
  });
});

describe('a listen address in use', () => {
  it('says which address and which flag, not EADDRINUSE', async () => {
    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as net.AddressInfo).port;
    try {
      const r = spawnSync(process.execPath, [MAIN, ...scenarioArgs(scenario), `--web.listen-address=127.0.0.1:${port}`], { encoding: 'utf8', timeout: 20_000 });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`msg="cannot start" err="cannot listen on 127.0.0.1:${port}: the address is already in use (by another program, or another klp_exporter); choose another with --web.listen-address"`);
      expect(r.stderr).not.toContain('EADDRINUSE');
    } finally {
      busy.close();
    }
  });
});

describe('one-shot modes', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'klp-cli-'));
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('--help and --version', () => {
    const help = run(['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('--web.listen-address');
    const version = run(['--version']);
    expect(version.status).toBe(0);
    expect(version.stdout).toMatch(/^klp_exporter, version \d+\.\d+\.\d+/);
  });

  it('rejects a bad flag with exit code 2 and a message', () => {
    const r = run(['--web.listen-adress=:1']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('klp_exporter: unknown flag --web.listen-adress; did you mean --web.listen-address? (klp_exporter --help lists the flags)\n');
  });

  it('--config.check validates and exits', () => {
    const good = path.join(tmp, 'good.yml');
    writeFileSync(good, 'exec:\n  timeout: 2s\n');
    const ok = run(['--config.file', good, '--config.check']);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toBe(`configuration OK: ${good}\n`);
    const bad = path.join(tmp, 'bad.yml');
    writeFileSync(bad, 'exec:\n  timout: 2s\n');
    const nok = run(['--config.file', bad, '--config.check']);
    expect(nok.status).toBe(2);
    expect(nok.stderr).toBe(`klp_exporter: ${bad}:2: unknown key exec.timout\n`);
  });

  it('--textfile.output writes the metrics atomically and exits 0', () => {
    const out = path.join(tmp, 'klp.prom');
    const r = run([...scenarioArgs(scenario), '--textfile.output', out]);
    expect(r.status).toBe(0);
    const text = readFileSync(out, 'utf8');
    expect(text).toContain('klp_patch_active_version 3');
    expect(text).not.toMatch(/^process_|^nodejs_/m);
    expect(readdirSync(tmp).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('--textfile.output exits non-zero when the file cannot be written', () => {
    const out = path.join(tmp, 'missing-dir', 'klp.prom');
    const r = run([...scenarioArgs(scenario), '--textfile.output', out]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`msg="cannot write textfile" file=${out} err="${path.dirname(out)}: the directory of --textfile.output does not exist"`);
    expect(r.stderr).not.toContain('.tmp'); // the temporary file is the exporter's business, not the operator's
    expect(existsSync(out)).toBe(false);
  });

  it('refuses a listen address it cannot parse, before it starts', () => {
    const r = run([...scenarioArgs(scenario), '--web.listen-address=nonsense']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('flag --web.listen-address: invalid listen address "nonsense"');
  });

  // --config.check runs the validation the start runs: what the start rejects, the check rejects too.
  it.each([
    [['--web.listen-address=10055'], 'invalid listen address "10055"'],
    [['--web.listen-address=:99999'], 'invalid listen address ":99999"'],
    [['--exec.timeout=1s', '--exec.timeout=2s'], 'flag --exec.timeout given more than once'],
    [['--path.rootfs=/does/not/exist'], 'flag --path.rootfs: /does/not/exist does not exist\n'],
    [['--path.procfs=/does/not/proc'], 'flag --path.procfs: /does/not/proc does not exist\n'],
    ['yaml', 'web.listen_address: invalid listen address: expected [host]:port'], // a value from the file is not repeated
  ])('--config.check and the start both reject %j', (args, message) => {
    let argv = args as string[];
    if (args === 'yaml') {
      const f = path.join(tmp, 'listen.yml');
      writeFileSync(f, 'web:\n  listen_address: 10055\n');
      argv = ['--config.file', f];
    }
    const check = run([...scenarioArgs(scenario, argv), '--config.check']);
    expect(check.stdout).toBe('');
    expect(check.status).toBe(2);
    expect(check.stderr).toContain(message);
    const start = run(scenarioArgs(scenario, argv));
    expect(start.status).toBe(2);
    expect(start.stderr).toContain(message);
  });
});
