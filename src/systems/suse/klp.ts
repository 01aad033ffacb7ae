// SUSE's `klp` tool (SLE 12: `kgr`): the source of the CVE and bug lists of the loaded live
// patches, and its status. Without the tool, CVEs come from the `KLP:` trailers of the live patch
// package's changelog (`rpm -q --changelog`).

import type { CollectorContext } from '../../collectors/collector.js';
import { requireSuccess } from '../../host/exec.js';
import { parseKlpPatches, parseKlpStatus } from '../../parsers/klp.js';
import type { RpmPackage } from '../../parsers/rpm.js';
import type { PatchDetails } from '../system.js';
import { parseKlpChangelog } from './names.js';
import { rpmRootArgs } from './rpm.js';

export async function describePatches(ctx: CollectorContext, running: RpmPackage | undefined): Promise<PatchDetails> {
  const tool = ctx.commands.klp ? 'klp' : ctx.commands.kgr ? 'kgr' : undefined;
  if (tool) {
    // Side by side: the first scrape after a start waits for both (each reads sysfs and the RPM database).
    const [statusResult, patchesResult] = await Promise.all([ctx.run(tool, ['status']), ctx.run(tool, ['-v', 'patches'])]);
    const statusRun = requireSuccess(statusResult);
    const status = parseKlpStatus(statusRun.stdout, statusRun.command);
    const patchesRun = requireSuccess(patchesResult);
    const parsed = parseKlpPatches(patchesRun.stdout, patchesRun.command);
    for (const w of parsed.warnings) ctx.log.debug('skipped a line of klp output', { command: patchesRun.command, detail: w });
    return { tool, inTransition: status === 'in_progress', patches: parsed.patches, changelog: undefined };
  }
  if (!running || !ctx.commands.rpm) return { tool, inTransition: undefined, patches: [], changelog: undefined };
  const nvr = `${running.name}-${running.version}-${running.release}`;
  const run = requireSuccess(await ctx.run('rpm', [...rpmRootArgs(ctx), '-q', '--changelog', nvr]));
  return { tool, inTransition: undefined, patches: [], changelog: { nvr, ...parseKlpChangelog(run.stdout) } };
}
