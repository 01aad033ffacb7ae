// klp collector: what SUSE's `klp` tool (SLE 12: `kgr`) says about the loaded live patches —
// the source of the CVE and bug lists — and its status, cross-checked against sysfs. Without the
// tool, CVEs come from the `KLP:` trailers of the live patch package's changelog. Cached.

import { requireSuccess } from '../host/exec.js';
import { parseKlpPatches, parseKlpStatus, type KlpPatch, type KlpStatus } from '../parsers/klp.js';
import { parseKlpChangelog, type RpmPackage } from '../parsers/rpm.js';
import { rpmRootArgs } from './packages.js';
import type { CollectorContext } from './types.js';

export interface KlpData {
  /** The tool used, or undefined when neither klp nor kgr is installed. */
  readonly tool: 'klp' | 'kgr' | undefined;
  readonly status: KlpStatus | undefined;
  readonly patches: readonly KlpPatch[];
  /** Changelog fallback: CVEs and bugs of an installed live patch package, by package NVR. */
  readonly changelog: { readonly nvr: string; readonly cves: readonly string[]; readonly bugs: readonly string[] } | undefined;
}

export async function collectKlp(ctx: CollectorContext, runningPackage: RpmPackage | undefined): Promise<KlpData> {
  const tool = ctx.commands.klp ? 'klp' : ctx.commands.kgr ? 'kgr' : undefined;
  if (tool) {
    const statusRun = requireSuccess(await ctx.run(tool, ['status']));
    const status = parseKlpStatus(statusRun.stdout, statusRun.command);
    const patchesRun = requireSuccess(await ctx.run(tool, ['-v', 'patches']));
    const parsed = parseKlpPatches(patchesRun.stdout, patchesRun.command);
    for (const w of parsed.warnings) ctx.log.debug('skipped a line of klp output', { command: patchesRun.command, detail: w });
    return { tool, status, patches: parsed.patches, changelog: undefined };
  }
  if (!runningPackage || !ctx.commands.rpm) return { tool, status: undefined, patches: [], changelog: undefined };
  const nvr = `${runningPackage.name}-${runningPackage.version}-${runningPackage.release}`;
  const run = requireSuccess(await ctx.run('rpm', [...rpmRootArgs(ctx), '-q', '--changelog', nvr]));
  return { tool, status: undefined, patches: [], changelog: { nvr, ...parseKlpChangelog(run.stdout) } };
}
