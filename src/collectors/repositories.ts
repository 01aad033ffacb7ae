// repositories collector: the live patch updates for the running kernel that the enabled package
// repositories offer, from the metadata the package manager keeps on disk (SUSE: zypper's raw
// cache, src/systems/suse/repositories.ts). Cached until a repository definition or its metadata
// changes; the metadata is read asynchronously (streamed, src/host/metadata-stream.ts), so a
// refresh never holds up a scrape once there is a value.

import type { Setting } from '../config/settings.js';
import { DEFAULT_MAX_CONTENT_BYTES } from '../host/metadata-stream.js';
import type { OfferedUpdates } from '../systems/system.js';
import type { CachedCollector } from './collector.js';

export type RepositoriesData = OfferedUpdates;

const settings: readonly Setting[] = [
  {
    flag: 'collector.repositories.zypper',
    yaml: ['collector', 'repositories', 'zypper'],
    type: { kind: 'bool' },
    default: false,
    help: 'When no repository metadata can be read from the cache, ask `zypper --no-refresh --xmlout search --details` instead (slow; takes the zypp lock as root).',
  },
  { flag: 'collector.repositories.zypper-interval', yaml: ['collector', 'repositories', 'zypper_interval'], type: { kind: 'duration' }, default: '6h', help: 'Run that zypper search at most this often.' },
  {
    flag: 'collector.repositories.max-metadata-bytes',
    yaml: ['collector', 'repositories', 'max_metadata_bytes'],
    type: { kind: 'int', min: 1024 * 1024, max: 4 * 1024 * 1024 * 1024 },
    default: DEFAULT_MAX_CONTENT_BYTES,
    help: 'Largest decompressed size of a repository metadata file (primary, updateinfo); a larger one fails its repository and is not read again until it changes.',
  },
];

export const repositories: CachedCollector<'repositories', unknown> = {
  kind: 'cached',
  name: 'repositories',
  help: "newer live patches offered by the enabled repositories (zypper's raw metadata cache), cached until a repository is refreshed",
  enabledByDefault: true,
  requires: ['kernel'],
  settings,
  inputs: (ctx, { kernel }) => ctx.system.updatesInputs(ctx, kernel!.running),
  collect: (ctx, inputs) => ctx.system.offeredUpdates(ctx, inputs),
};
