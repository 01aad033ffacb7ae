// bcrypt verification off the main thread. bcryptjs is pure JavaScript: even its "async" compare
// runs in 100 ms slices on the event loop, so a brute-force run would stall every scrape. One
// worker thread verifies passwords, one at a time; the main thread only waits for the answer.

import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { embeddedFiles } from '../embedded.js';

// The worker's code, as a CommonJS script (an eval worker), so it needs no separate file in dist/.
// It loads bcryptjs from its path (tsc build, node_modules beside dist/) or, in the single-file build,
// from the library's CommonJS source embedded in the bundle (there is no node_modules to load it from).
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
let bcrypt;
if (workerData.bcryptSource !== undefined) {
  const m = { exports: {} };
  new Function('module', 'exports', 'require', workerData.bcryptSource)(m, m.exports, require);
  bcrypt = m.exports;
} else {
  bcrypt = require(workerData.bcrypt);
}
parentPort.on('message', ({ id, password, hash }) => {
  let ok = false;
  try { ok = bcrypt.compareSync(password, hash); } catch { ok = false; }
  parentPort.postMessage({ id, ok });
});
`;

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
    const bcryptSource = embeddedFiles['bcryptjs'];
    const workerData = bcryptSource !== undefined ? { bcryptSource } : { bcrypt: createRequire(import.meta.url).resolve('bcryptjs') };
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData });
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
