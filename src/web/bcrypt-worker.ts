// bcrypt verification off the main thread. bcryptjs is pure JavaScript: even its "async" compare
// runs in 100 ms slices on the event loop, so a brute-force run would stall every scrape. One
// worker thread verifies passwords, one at a time; the main thread only waits for the answer.

import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { embeddedFiles } from '../embedded.js';

// The worker's code, as a CommonJS script (an eval worker), so it needs no separate file in dist/. It loads
// bcryptjs from its path (tsc build: node_modules beside dist/). The single-file build has no node_modules: there
// the library's CommonJS source, embedded at build time (src/embedded.ts), is put in front of the handler, so the
// worker script defines bcryptjs itself (module.exports of the eval worker) before it uses it.
const WORKER_HANDLER = `
const { parentPort, workerData } = require('node:worker_threads');
const bcrypt = workerData.bcrypt === undefined ? module.exports : require(workerData.bcrypt);
parentPort.on('message', ({ id, password, hash }) => {
  let ok = false;
  try { ok = bcrypt.compareSync(password, hash); } catch { ok = false; }
  parentPort.postMessage({ id, ok });
});
`;

/** The eval worker's script and data: bcryptjs embedded (single-file build) or required from its path. */
function workerScript(): { source: string; workerData: { bcrypt?: string } } {
  const embedded = embeddedFiles['bcryptjs'];
  if (embedded !== undefined) return { source: `${embedded}\n;${WORKER_HANDLER}`, workerData: {} };
  return { source: WORKER_HANDLER, workerData: { bcrypt: createRequire(import.meta.url).resolve('bcryptjs') } };
}

/** How long an idle worker is kept. */
const IDLE_MS = 10_000;

/** Verifies bcrypt hashes in a worker thread (started on first use, never keeps the process alive). */
export class BcryptWorker {
  private worker: Worker | undefined;
  private nextId = 0;
  private readonly waiting = new Map<number, (ok: boolean) => void>();
  private idleTimer: NodeJS.Timeout | undefined;

  compare(password: string, hash: string): Promise<boolean> {
    const worker = this.start();
    clearTimeout(this.idleTimer);
    const id = this.nextId++;
    return new Promise<boolean>((resolve) => {
      this.waiting.set(id, resolve);
      worker.postMessage({ id, password, hash });
    });
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const { source, workerData } = workerScript();
    const worker = new Worker(source, { eval: true, workerData });
    worker.unref();
    worker.on('message', ({ id, ok }: { id: number; ok: boolean }) => {
      this.waiting.get(id)?.(ok);
      this.waiting.delete(id);
      // An idle worker goes away; the next login starts a new one.
      if (this.waiting.size === 0) {
        this.idleTimer = setTimeout(() => void worker.terminate(), IDLE_MS);
        this.idleTimer.unref();
      }
    });
    const failAll = () => {
      clearTimeout(this.idleTimer);
      for (const resolve of this.waiting.values()) resolve(false);
      this.waiting.clear();
      if (this.worker === worker) this.worker = undefined;
    };
    worker.on('error', failAll);
    worker.on('exit', failAll);
    this.worker = worker;
    return worker;
  }
}
