// The logger never costs the service (issue 13.1, 13.2): a slow log reader makes it drop and
// count lines instead of queueing them in memory; a reader that went away ends logging only.

import { describe, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import { createLogger, streamSink } from '../../src/log.js';

/** A stream that takes one chunk per `ms` (or none until released). */
function slowStream(ms: number) {
  const written: string[] = [];
  const stream = new Writable({
    highWaterMark: 1024,
    write(chunk: Buffer, _enc, cb) {
      written.push(chunk.toString());
      setTimeout(cb, ms);
    },
  });
  return { stream, written };
}

describe('streamSink', () => {
  it('queues at most the byte budget for a slow reader, drops the rest and says how many', async () => {
    const { stream, written } = slowStream(1);
    const log = createLogger('info', 'logfmt', streamSink(stream, 'logfmt', 10_000));
    const line = 'x'.repeat(100);
    for (let i = 0; i < 10_000; i++) log.warn('bad line', { detail: line });
    // About 10 kB of ~150-byte lines were kept; everything else was counted.
    expect(stream.writableLength).toBeLessThanOrEqual(10_000);
    await new Promise<void>((resolve) => {
      const check = () => (stream.writableLength === 0 ? resolve() : setTimeout(check, 20));
      check();
    });
    const summary = written.find((w) => w.includes('log lines dropped'));
    expect(summary).toMatch(/level=warn msg="log lines dropped: the log reader was slower than the exporter" dropped=(\d+)/);
    const dropped = Number(/dropped=(\d+)/.exec(summary!)![1]);
    const kept = written.filter((w) => w.includes('msg="bad line"')).length;
    expect(kept + dropped).toBe(10_000);
    expect(kept).toBeLessThan(100);
  });

  // autoDestroy false: a stream that stays open after its error (as a pipe can), so the sink itself must stop.
  it.each([true, false])('a write error (EPIPE: the reader went away) stops logging and never throws (autoDestroy %s)', async (autoDestroy) => {
    let written = 0;
    const stream = new Writable({
      autoDestroy,
      write(_chunk, _enc, cb) {
        written++;
        cb(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
      },
    });
    let calls = 0;
    const write = stream.write.bind(stream);
    stream.write = ((...args: Parameters<typeof write>) => {
      calls++;
      return write(...args);
    }) as typeof stream.write;
    const log = createLogger('info', 'json', streamSink(stream, 'json'));
    log.error('first');
    await new Promise((r) => setImmediate(r));
    expect([calls, written]).toEqual([1, 1]);
    expect(() => {
      for (let i = 0; i < 100; i++) log.error('after the reader left');
    }).not.toThrow();
    await new Promise((r) => setImmediate(r));
    // Stopped: not one more line handed to the stream.
    expect([calls, written]).toEqual([1, 1]);
  });
});
