// Run the built exporter (dist/main.js) as a real process, as a user would, against a fixture host.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { PROJECT, scenarioArgs, type Scenario } from './fixture-host.js';

/** The built exporter. */
export const DIST_MAIN = path.join(PROJECT, 'dist/main.js');
/**
 * What the tests run: the built exporter through a launcher that takes the fixture host's frozen
 * clock (--testing.now, see scenarioArgs) and gives it to main(); other arguments go to the exporter.
 */
export const MAIN = path.join(PROJECT, 'test/helpers/main-at.mjs');

export interface ExporterProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** Everything the process wrote to stderr so far (its log). */
  readonly stderr: () => string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

/**
 * Spawn the built exporter with `args` (or another build of the program, `script`: the bundle, the
 * installed RPM's) through the test launcher, which freezes the clock, and wait until /-/healthy
 * answers (or fail after `timeoutMs`).
 */
export async function startProcess(args: readonly string[], port: number, timeoutMs = 10_000, script = DIST_MAIN): Promise<ExporterProcess> {
  if (!existsSync(script)) throw new Error(`${script} is missing: run \`npm run build\` first (npm test does)`);
  const child = spawn(process.execPath, [MAIN, `--testing.program=${script}`, `--web.listen-address=127.0.0.1:${port}`, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout!.resume();
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stop = async (graceMs = 5000) => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`exporter exited with ${child.exitCode}: ${stderr}`);
    try {
      const res = await fetch(`${url}/-/healthy`);
      if (res.ok) return { url, child, stderr: () => stderr, stop };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  await stop(0);
  throw new Error(`exporter did not become healthy within ${timeoutMs} ms: ${stderr}`);
}

/** Start the exporter process on a fixture host (frozen clock, exporter process metrics off). */
export function startExporter(s: Scenario, port: number, extra: readonly string[] = []): Promise<ExporterProcess> {
  return startProcess(scenarioArgs(s, extra), port);
}
