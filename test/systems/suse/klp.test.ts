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

/**
 * A context whose commands answer only when `release()` is called, recording which ones were
 * started. `release(order)` answers the started commands in that order, one per turn of the event
 * loop, and from then on answers at once.
 */
function heldContext(exitCodes: Record<string, number> = {}) {
  const started: string[] = [];
  const waiting = new Map<string, () => void>();
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
        else waiting.set(line, answer);
      });
    },
  } as unknown as CollectorContext;
  const release = async (order: readonly string[] = started) => {
    released = true;
    for (const line of order) {
      waiting.get(line)?.();
      waiting.delete(line);
      await turn();
    }
    for (const answer of waiting.values()) answer();
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
    await release();
    const d = await details;
    expect(d.tool).toBe('klp');
    expect(d.inTransition).toBe(false);
    expect(d.patches.map((p) => p.cves)).toEqual([['CVE-2024-43882', 'CVE-2024-50115']]);
  });

  const COMMANDS = ['klp status', 'klp -v patches'];
  it.each(COMMANDS.flatMap((failing) => COMMANDS.map((first) => [failing, first])))('fails when %s fails, and %s answers first', async (failing, first) => {
    const { ctx, release } = heldContext({ [failing]: 1 });
    // Its outcome, taken as soon as it settles (a rejection while the commands answer is handled).
    const outcome = describePatches(ctx, undefined).then(
      () => 'resolved',
      (err: Error) => err.message,
    );
    await turn();
    await release([first, ...COMMANDS.filter((c) => c !== first)]);
    expect(await outcome).toContain(`${failing}: exited with code 1`);
  });
});
