// Textfile mode end to end: klp_exporter writes the file, Debian's prometheus-node-exporter (textfile collector
// only, loopback) serves it. Needs the `prometheus-node-exporter` package; fails with a message without it.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MAIN } from '../helpers/exporter-process.js';
import { loadScenario, scenarioArgs } from '../helpers/fixture-host.js';
import { freePort, parseSamples, sample, waitFor } from './process.js';

const NODE_EXPORTER = 'prometheus-node-exporter';
const scenario = loadScenario('sles15sp6-patched');
const run = (args: string[]) => spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 30_000 });

function requireNodeExporter(): void {
  const r = spawnSync(NODE_EXPORTER, ['--version'], { encoding: 'utf8' });
  if ((r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    throw new Error(`${NODE_EXPORTER} not found on PATH: install Debian's prometheus-node-exporter package to run this test`);
  }
}

describe('textfile mode with node_exporter', () => {
  let tmp: string;
  let ne: ChildProcess | undefined;
  let neLog = '';
  let written: string;
  let served: string;

  beforeAll(async () => {
    requireNodeExporter();
    tmp = mkdtempSync(path.join(os.tmpdir(), 'klp-textfile-'));
    const out = path.join(tmp, 'klp.prom');
    const r = run([...scenarioArgs(scenario), '--textfile.output', out]);
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: expect.stringContaining('wrote textfile') });
    written = readFileSync(out, 'utf8');

    const port = await freePort();
    ne = spawn(NODE_EXPORTER, ['--collector.disable-defaults', '--collector.textfile', `--collector.textfile.directory=${tmp}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    ne.stderr!.on('data', (d: Buffer) => (neLog += d.toString()));
    served = await waitFor('node_exporter /metrics', 10_000, async () => {
      if (ne!.exitCode !== null) throw new Error(`node_exporter exited ${ne!.exitCode}: ${neLog}`);
      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      return res.ok ? res.text() : undefined;
    });
  });

  afterAll(async () => {
    if (ne && ne.exitCode === null && ne.signalCode === null) {
      const gone = new Promise((r) => ne!.once('exit', r));
      ne.kill('SIGTERM');
      await gone;
    }
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('the file is plain exposition text: klp_ families only, no process metrics, no temp files left', () => {
    expect(written).toContain('# TYPE klp_livepatch_state gauge');
    expect(written).not.toMatch(/^(process_|nodejs_)/m);
    expect(readdirSync(tmp)).toEqual(['klp.prom']);
  });

  it('node_exporter reads it without a textfile scrape error', () => {
    expect(sample(served, 'node_textfile_scrape_error')).toBe(0);
    expect(served).toMatch(new RegExp(`^node_textfile_mtime_seconds\\{file="${tmp.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/klp.prom"\\} `, 'm'));
    expect(neLog).not.toMatch(/level=error/);
  });

  it('node_exporter serves every klp_ sample of the file with the same value', () => {
    const fromFile = parseSamples(written);
    const fromNe = parseSamples(served);
    expect(fromFile.size).toBeGreaterThan(20);
    const missing: string[] = [];
    for (const [series, value] of fromFile) {
      const got = fromNe.get(series);
      if (got === undefined || (got !== value && !(Number.isNaN(got) && Number.isNaN(value)))) missing.push(`${series} ${value} (served: ${got})`);
    }
    expect(missing).toEqual([]);
    expect(fromNe.get('klp_livepatch_state{state="patched"}')).toBe(1);
    expect(fromNe.get('klp_patch_active_version{}')).toBe(3);
  });

  it('node_exporter keeps the HELP and TYPE of the klp_ families', () => {
    const families = [...written.matchAll(/^# TYPE (klp_\S+) (\S+)$/gm)].map((m) => `${m[1]} ${m[2]}`);
    expect(families.length).toBeGreaterThan(10);
    for (const f of families) expect(served).toContain(`# TYPE ${f}`);
  });
});

describe('textfile mode: write failures', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'klp-textfile-fail-'));
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  /** Make `dir` unwritable even for root (chattr +i), or by mode for other users; returns an undo function. */
  function makeUnwritable(dir: string): () => void {
    if (process.getuid?.() !== 0) {
      chmodSync(dir, 0o555);
      return () => chmodSync(dir, 0o755);
    }
    const r = spawnSync('chattr', ['+i', dir], { encoding: 'utf8' });
    if (r.status !== 0) {
      throw new Error(`running as root, this test makes a directory immutable with chattr +i, which failed: ${r.error?.message ?? r.stderr}`);
    }
    return () => void spawnSync('chattr', ['-i', dir]);
  }

  it('an unwritable directory: exit code 1, a log line naming the file, the old file untouched, no temp file', () => {
    const dir = path.join(tmp, 'textfile');
    mkdirSync(dir);
    const out = path.join(dir, 'klp.prom');
    writeFileSync(out, 'klp_old 1\n');
    const undo = makeUnwritable(dir);
    let r;
    try {
      r = run([...scenarioArgs(scenario), '--textfile.output', out]);
    } finally {
      undo();
    }
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`level=error msg="cannot write textfile" file=${out} err="${dir}: permission denied: the exporter cannot create files in the directory of --textfile.output"`);
    expect(readFileSync(out, 'utf8')).toBe('klp_old 1\n');
    expect(readdirSync(dir)).toEqual(['klp.prom']);
  });

  it('a directory that does not exist: exit code 1', () => {
    const r = run([...scenarioArgs(scenario), '--textfile.output', path.join(tmp, 'nope', 'klp.prom')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`cannot write textfile" file=${path.join(tmp, 'nope', 'klp.prom')} err="${path.join(tmp, 'nope')}: the directory of --textfile.output does not exist"`);
  });
});
