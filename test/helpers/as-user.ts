// Run the built exporter as an unprivileged user (nobody, via setpriv), so that file permissions
// are really enforced: the test suite itself runs as root here, and root reads anything.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { DIST_MAIN, MAIN } from './exporter-process.js';

export const NOBODY = { uid: 65534, gid: 65534 };

export interface UserProcess {
  readonly url: string;
  readonly child: ChildProcess;
  readonly stderr: () => string;
  stop(): Promise<void>;
}

/** A free loopback port (bound, then released). */
export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

/** `node dist/main.js <args>` as nobody (or as the current user when that is not root); resolves when /-/healthy answers. */
export async function startAsNobody(args: readonly string[], timeoutMs = 10_000): Promise<UserProcess> {
  if (!existsSync(DIST_MAIN)) throw new Error('dist/main.js is missing: run `npm run build` first (npm test does)');
  const port = await freePort();
  const argv = [MAIN, `--web.listen-address=127.0.0.1:${port}`, ...args];
  // As root, switch to nobody; as any other user, permissions already apply to us.
  const child =
    process.getuid?.() === 0
      ? spawn('setpriv', [`--reuid=${NOBODY.uid}`, `--regid=${NOBODY.gid}`, '--clear-groups', '--', process.execPath, ...argv], { stdio: ['ignore', 'ignore', 'pipe'] })
      : spawn(process.execPath, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
  };
  const url = `http://127.0.0.1:${port}`;
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`exporter exited with ${child.exitCode}: ${stderr}`);
    try {
      if ((await fetch(`${url}/-/healthy`)).ok) return { url, child, stderr: () => stderr, stop };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  await stop();
  throw new Error(`exporter did not become healthy: ${stderr}`);
}
