// bcrypt verification off the main thread. bcryptjs is pure JavaScript: even its "async" compare
// runs in 100 ms slices on the event loop, so a brute-force run would stall every scrape. One
// worker thread verifies passwords, one at a time; the main thread only waits for the answer.

import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

// The worker's code, as a CommonJS script (an eval worker), so it needs no separate file in dist/.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const bcrypt = require(workerData.bcrypt);
parentPort.on('message', ({ id, password, hash }) => {
  let ok = false;
  try { ok = bcrypt.compareSync(password, hash); } catch { ok = false; }
  parentPort.postMessage({ id, ok });
});
`;

/** Verifies bcrypt hashes in a worker thread (started on first use, never keeps the process alive). */
export class BcryptWorker {
  private worker: Worker | undefined;
  private nextId = 0;
  private readonly waiting = new Map<number, (ok: boolean) => void>();

  compare(password: string, hash: string): Promise<boolean> {
    const worker = this.start();
    const id = this.nextId++;
    return new Promise<boolean>((resolve) => {
      this.waiting.set(id, resolve);
      worker.postMessage({ id, password, hash });
    });
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const bcrypt = createRequire(import.meta.url).resolve('bcryptjs');
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { bcrypt } });
    worker.unref();
    worker.on('message', ({ id, ok }: { id: number; ok: boolean }) => {
      this.waiting.get(id)?.(ok);
      this.waiting.delete(id);
    });
    const failAll = () => {
      for (const resolve of this.waiting.values()) resolve(false);
      this.waiting.clear();
      this.worker = undefined;
    };
    worker.on('error', failAll);
    worker.on('exit', failAll);
    this.worker = worker;
    return worker;
  }
}
