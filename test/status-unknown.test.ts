// liveStatus() with unreadable sysfs attributes: it must not guess. Unknown enabled/transition
// values used to read as "not enabled", so an unreadable enabled file turned a patched host
// into klp_livepatch_state{state="unpatched"} 1, klp_patch_active_version 0, klp_patch_cves 0.

import { describe, expect, it } from '@jest/globals';
import type { SysfsPatch } from '../src/collectors/livepatch.js';
import { liveStatus } from '../src/status.js';
import { SYSTEM } from '../src/systems/index.js';
import type { Snapshot } from '../src/scrape/snapshot.js';

const patch = (name: string, enabled: 0 | 1 | undefined, transition: 0 | 1 | undefined): SysfsPatch => ({ name, enabled, transition, replace: undefined, stackOrder: undefined, objects: [] });
const snap = (...patches: SysfsPatch[]): Snapshot => ({ health: [], commands: {}, livepatch: { supported: true, patches } });
const LP3 = 'livepatch_3_150600_13_9_1';
const LP4 = 'livepatch_4_150600_13_12_1';

describe('live status with unknown sysfs values', () => {
  it.each([
    ['all known, enabled', [patch(LP3, 1, 0)], 'patched', 3],
    ['enabled unknown', [patch(LP3, undefined, 0)], undefined, undefined],
    ['transition unknown', [patch(LP3, 1, undefined)], undefined, undefined],
    ['another patch in transition decides', [patch(LP3, undefined, 0), patch(LP4, 1, 1)], 'transition', undefined],
    ['a known enabled patch decides "patched"', [patch(LP3, 1, 0), patch('livepatch_sample', undefined, 0)], 'patched', 3],
    ['an unknown lower version does not hide the active one', [patch('livepatch_2_150600_13_6_1', undefined, 0), patch(LP3, 1, 0)], 'patched', 3],
    ['an unknown higher version could be the active one', [patch(LP3, 1, 0), patch(LP4, 1, undefined)], undefined, undefined],
    ['nothing enabled, all known', [patch(LP3, 0, 0)], 'unpatched', 0],
  ] as const)('%s', (_name, patches, state, active) => {
    const d = liveStatus(snap(...patches), SYSTEM);
    expect(d.state).toBe(state);
    expect(d.activeVersion).toBe(active);
    if (active === undefined) expect(d.cves).toBeUndefined();
  });
});
