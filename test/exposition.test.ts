// src/scrape/exposition.ts writes the text format the way prom-client's Registry does: the same
// families built both ways must give the same text, byte for byte.

import { describe, expect, it } from '@jest/globals';
import { Counter, Gauge, Registry } from 'prom-client';
import { Exposition } from '../src/scrape/exposition.js';

type Build = {
  gauge(name: string, help: string, labelNames?: string[]): { set(labels: Record<string, string>, v: number): void };
  counter(name: string, help: string, labelNames?: string[]): { inc(labels: Record<string, string>, v: number): void };
};

/** The same calls against either implementation. */
function families(b: Build): void {
  b.gauge('t_unset', 'An unlabelled gauge that is never set starts at 0.');
  b.gauge('t_set', 'Set twice: the last value wins.').set({}, 1.5);
  b.gauge('t_no_samples', 'Labelled and never set: only HELP and TYPE.', ['patch']);
  const g = b.gauge('t_labels', 'Escaping: back\\slash and new\nline in help.', ['a', 'b']);
  g.set({ b: '2', a: '1' }, 3); // label order as given
  g.set({ a: 'x"y', b: 'back\\slash\nnewline' }, -0.000001);
  g.set({ a: '1', b: '2' }, 4); // same series again: value replaced, first position kept
  g.set({ a: 'nan', b: 'n' }, NaN);
  g.set({ a: 'inf', b: 'i' }, Infinity);
  g.set({ a: '-inf', b: 'i' }, -Infinity);
  g.set({ a: 'big', b: 'b' }, 1748736000);
  g.set({ a: 'tiny', b: 't' }, 1e-7);
  g.set({ a: 'only' } as Record<string, string>, 7); // a label left out
  const c = b.counter('t_runs_total', 'A counter.', ['command']);
  c.inc({ command: 'rpm' }, 0);
  c.inc({ command: 'klp' }, 2);
  c.inc({ command: 'rpm' }, 3);
}

describe('exposition', () => {
  it('writes the same text as prom-client', async () => {
    const reg = new Registry();
    families({
      gauge: (name, help, labelNames = []) => {
        const g = new Gauge({ name, help, labelNames, registers: [reg] });
        return { set: (labels, v) => g.set(labels, v) };
      },
      counter: (name, help, labelNames = []) => {
        const c = new Counter({ name, help, labelNames, registers: [reg] });
        return { inc: (labels, v) => c.inc(labels, v) };
      },
    });
    const ours = new Exposition();
    families(ours);
    expect(ours.text()).toBe(await reg.metrics());
  });

  it('rejects a label that was not declared and a second family of the same name', () => {
    const e = new Exposition();
    const g = e.gauge('x', 'x', ['a']);
    expect(() => g.set({ b: '1' }, 1)).toThrow(/not included/);
    expect(() => e.gauge('x', 'again')).toThrow(/already been registered/);
  });
});
