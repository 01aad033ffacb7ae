// repositories collector: the live patch updates for the running kernel that the enabled package
// repositories offer, from the metadata the package manager keeps on disk (SUSE: zypper's raw
// cache, src/systems/suse/repositories.ts). Cached until a repository definition or its metadata
// changes; the metadata is read asynchronously (streamed, src/host/metadata-stream.ts), so a
// refresh never holds up a scrape once there is a value.

import type { OfferedUpdates } from '../systems/system.js';
import type { CachedCollector } from './collector.js';

export type RepositoriesData = OfferedUpdates;

export const repositories: CachedCollector<'repositories', unknown> = {
  kind: 'cached',
  name: 'repositories',
  help: "newer live patches offered by the enabled repositories (zypper's raw metadata cache), cached until a repository is refreshed",
  enabledByDefault: true,
  requires: ['kernel'],
  inputs: (ctx, { kernel }) => ctx.system.updatesInputs(ctx, kernel!.running),
  collect: (ctx, inputs) => ctx.system.offeredUpdates(ctx, inputs),
};
