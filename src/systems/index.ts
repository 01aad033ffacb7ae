// The live patch system the exporter speaks to. There is one today (SUSE); a second one would
// be a folder beside ./suse/ and a choice here (by /etc/os-release or by what is installed).

import { suse } from './suse/index.js';
import type { LivePatchSystem } from './system.js';

export const SYSTEM: LivePatchSystem = suse;
