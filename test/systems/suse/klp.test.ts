// SUSE's klp tool as the klp collector runs it: `klp status` and `klp -v patches` run side by side
// (the first scrape after a start waits for them), and either one failing fails the collector.

import { describe, expect, it } from '@jest/globals';
import type { CollectorContext } from '../../../src/collectors/collector.js';
import type { CommandResult } from '../../../src/host/exec.js';
import { describePatches } from '../../../src/systems/suse/klp.js';

const OUTPUTS: Record<string, string> = {
  'klp status': 'ready\n',
  'klp -v patches':
    'livepatch_3_150600_13_9_1\n    active: 1\n    RPM: kernel-livepatch-6_4_0-150600_23_25-default-3-150600.13.9.1.x86_64\n    CVE: CVE-2024-50115 CVE-2024-43882\n    bug fixes and enhancements: (none)\n',
};

/** A context whose commands answer only when `release()` is called, recording which ones were started. */
function heldContext(exitCodes: Record<string, number> = {}) {
  const started: string[] = [];
  const waiting: Array<() => void> = [];
  let released = false;
  const ctx = {
    commands: { klp: '/usr/bin/klp' },
    log: { debug: () => undefined, warn: () => undefined },
    run: (command: string, args: readonly string[]) => {
      const line = [command, ...args].join(' ');
      started.push(line);
      return new Promise<CommandResult>((resolve) => {
        const answer = () =>
          resolve({ command: line, exitCode: exitCodes[line] ?? 0, signal: undefined, stdout: OUTPUTS[line] ?? '', stderr: '', timedOut: false, truncated: false, spawnError: undefined, durationMs: 1 });
        if (released) answer();
        else waiting.push(answer);
      });
    },
  } as unknown as CollectorContext;
  /** Answer what was started, and from now on answer at once. */
  const release = () => {
    released = true;
    waiting.splice(0).forEach((answer) => answer());
  };
  return { ctx, started, release };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('describePatches with the klp tool', () => {
  it('starts klp status and klp -v patches before either has answered', async () => {
    const { ctx, started, release } = heldContext();
    const details = describePatches(ctx, undefined);
    await turn();
    expect(started).toEqual(['klp status', 'klp -v patches']);
    release();
    const d = await details;
    expect(d.tool).toBe('klp');
    expect(d.inTransition).toBe(false);
    expect(d.patches.map((p) => p.cves)).toEqual([['CVE-2024-43882', 'CVE-2024-50115']]);
  });

  it.each(['klp status', 'klp -v patches'])('fails when %s fails, whichever answers first', async (failing) => {
    const { ctx, release } = heldContext({ [failing]: 1 });
    const details = describePatches(ctx, undefined);
    await turn();
    release();
    await expect(details).rejects.toThrow(failing);
  });
});
