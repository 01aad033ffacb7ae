// The metrics: a fresh prom-client registry per snapshot, so series of patches that went away
// disappear with them, and families the host does not have are not written at all. The metric
// contract lives here and in docs/metrics.md.

import { Counter, Gauge, Registry } from 'prom-client';
import type { BuildInfo } from '../build-info.js';
import { COLLECTOR_NAMES } from '../collectors/index.js';
import { LIVEPATCH_STATES, type Status } from '../status.js';
import type { Snapshot } from './snapshot.js';

export interface RenderOptions {
  readonly nowMs: number;
  readonly cveInfo: boolean;
  readonly buildInfo: BuildInfo;
  /** Whether the last config reload worked (true until a reload fails). */
  readonly configReloadSuccessful: boolean;
  readonly commandRuns: ReadonlyMap<string, number>;
  /** Every command the live patch system may run, found or not. */
  readonly commandNames: readonly string[];
  /** Every expiry source of the live patch system. */
  readonly expirySources: readonly string[];
}

const CACHED_NOTE = 'Cached: refreshed when the RPM database or lifecycle data change, or after --cache.max-age.';

type Labels = Record<string, string>;

/** Render the exporter's own families (process metrics are added by the server). */
export async function renderMetrics(s: Snapshot, d: Status, o: RenderOptions): Promise<string> {
  const reg = new Registry();
  const gauge = (name: string, help: string, labelNames: string[] = []) => new Gauge({ name, help, labelNames, registers: [reg] });
  const set = (g: Gauge, value: number, labels: Labels = {}) => g.set(labels, value);

  set(gauge('klp_exporter_build_info', 'A metric with a constant 1 value labeled by version, revision and Node.js version of klp_exporter.', ['version', 'revision', 'nodejs_version']), 1, {
    version: o.buildInfo.version,
    revision: o.buildInfo.revision,
    nodejs_version: o.buildInfo.nodejsVersion,
  });
  set(gauge('klp_exporter_config_last_reload_successful', 'Whether the last configuration reload attempt was successful.'), o.configReloadSuccessful ? 1 : 0);

  const available = gauge('klp_exporter_command_available', 'Whether the command was found in --exec.path at start-up (1) or not (0).', ['command']);
  for (const c of o.commandNames) set(available, s.commands[c] ? 1 : 0, { command: c });
  const runs = new Counter({ name: 'klp_exporter_command_runs_total', help: 'Commands started by the exporter since it started.', labelNames: ['command'], registers: [reg] });
  for (const c of o.commandNames) if (s.commands[c]) runs.inc({ command: c }, o.commandRuns.get(c) ?? 0);

  const health = [...s.health].sort((a, b) => COLLECTOR_NAMES.indexOf(a.name) - COLLECTOR_NAMES.indexOf(b.name));
  const success = gauge('klp_scrape_collector_success', 'Whether the collector succeeded (for cached collectors: its last refresh).', ['collector']);
  const duration = gauge('klp_scrape_collector_duration_seconds', 'Duration of the collector (for cached collectors: of its last refresh).', ['collector']);
  const lastOk = gauge('klp_scrape_collector_last_success_timestamp_seconds', `Unix time of the last successful refresh of a cached collector. ${CACHED_NOTE}`, ['collector']);
  for (const h of health) {
    set(success, h.success ? 1 : 0, { collector: h.name });
    set(duration, round(h.durationSeconds), { collector: h.name });
    if (h.cached && h.lastSuccessMs !== undefined) set(lastOk, h.lastSuccessMs / 1000, { collector: h.name });
  }

  if (s.kernel) {
    const k = s.kernel.running;
    set(gauge('klp_kernel_info', 'The running kernel: release, upstream version, SUSE kernel revision and flavor.', ['release', 'version', 'revision', 'flavor']), 1, {
      release: k.release,
      version: k.version,
      revision: k.revision,
      flavor: k.flavor,
    });
    if (s.kernel.os) {
      set(gauge('klp_os_info', 'The operating system, from os-release.', ['id', 'version_id', 'pretty_name']), 1, {
        id: s.kernel.os.id,
        version_id: s.kernel.os.versionId,
        pretty_name: s.kernel.os.prettyName,
      });
    }
  }

  if (s.taint) {
    set(gauge('klp_kernel_tainted', 'Raw value of /proc/sys/kernel/tainted.'), s.taint.value);
    set(gauge('klp_kernel_tainted_livepatch', 'Whether the kernel taint flag K (bit 15, "live patched") is set; it is never cleared.'), s.taint.livepatch ? 1 : 0);
  }

  if (s.livepatch) {
    set(gauge('klp_livepatch_supported', 'Whether the kernel supports live patching (/sys/kernel/livepatch exists).'), s.livepatch.supported ? 1 : 0);
    if (d.state !== undefined) {
      const state = gauge('klp_livepatch_state', 'Live patch state of the kernel: patched, transition, unpatched or unsupported (1 for the current state).', ['state']);
      for (const st of LIVEPATCH_STATES) set(state, st === d.state ? 1 : 0, { state: st });
    }
    const patches = s.livepatch.patches;
    if (patches.length > 0) {
      const enabled = gauge('klp_patch_enabled', 'The enabled attribute of a loaded live patch (/sys/kernel/livepatch/<patch>/enabled).', ['patch']);
      const transition = gauge('klp_patch_transition', 'Whether the live patch is in transition (/sys/kernel/livepatch/<patch>/transition).', ['patch']);
      for (const p of patches) {
        if (p.enabled !== undefined) set(enabled, p.enabled, { patch: p.name });
        if (p.transition !== undefined) set(transition, p.transition, { patch: p.name });
      }
      if (patches.some((p) => p.replace !== undefined)) {
        const g = gauge('klp_patch_replace', 'Whether the live patch replaces all earlier ones (atomic replace; kernels 6.11+).', ['patch']);
        for (const p of patches) if (p.replace !== undefined) set(g, p.replace, { patch: p.name });
      }
      if (patches.some((p) => p.stackOrder !== undefined)) {
        const g = gauge('klp_patch_stack_order', 'Position of the live patch in the stack of loaded patches (kernels 6.13+).', ['patch']);
        for (const p of patches) if (p.stackOrder !== undefined) set(g, p.stackOrder, { patch: p.name });
      }
      if (patches.some((p) => p.objects.some((obj) => obj.patched !== undefined))) {
        const g = gauge('klp_patch_object_patched', 'Whether the object (vmlinux or a module) of the live patch is patched; 0 when the module is not loaded (kernels 6.0+).', ['patch', 'object']);
        for (const p of patches) for (const obj of p.objects) if (obj.patched !== undefined) set(g, obj.patched, { patch: p.name, object: obj.name });
      }
    }
    if (d.patchInfo.length > 0) {
      const info = gauge('klp_patch_info', 'The package a loaded live patch comes from, with its VERSION and RELEASE.', ['patch', 'package', 'version', 'release']);
      for (const i of d.patchInfo) set(info, 1, { patch: i.patch, package: i.package, version: i.version, release: i.release });
    }
    if (d.activeVersion !== undefined) {
      set(gauge('klp_patch_active_version', 'VERSION of the fully applied live patch of the running kernel (1 = initial patch, 0 = none).'), d.activeVersion);
    }
  }

  if (s.packages) {
    set(gauge('klp_packages_installed', `Number of installed live patch packages (all kernels). ${CACHED_NOTE}`), s.packages.livepatchPackages.length);
    if (d.installedVersion !== undefined) {
      set(gauge('klp_patch_installed_version', `Highest installed VERSION of the running kernel's live patch package (0 = none). ${CACHED_NOTE}`), d.installedVersion);
    }
    if (d.newerKernelInstalled !== undefined) {
      set(gauge('klp_kernel_newer_installed', `Whether a newer kernel package of the running flavor is installed (a reboot is pending). ${CACHED_NOTE}`), d.newerKernelInstalled ? 1 : 0);
    }
  }

  if (d.cves !== undefined && d.bugs !== undefined) {
    set(gauge('klp_patch_cves', `Number of CVEs fixed by the active live patch (0 for an initial patch or none). ${CACHED_NOTE}`), d.cves.length);
    set(gauge('klp_patch_bugs', `Number of bugs fixed by the active live patch. ${CACHED_NOTE}`), d.bugs.length);
    if (o.cveInfo && d.cves.length > 0) {
      const g = gauge('klp_patch_cve_info', 'A CVE fixed by the active live patch (enabled with --collector.klp.cve-info).', ['cve']);
      for (const c of d.cves) set(g, 1, { cve: c });
    }
  }

  const expiry = s.lifecycle?.expiry;
  if (expiry) {
    set(gauge('klp_patch_expiry_timestamp_seconds', `Unix time when live patch support for the running kernel ends. ${CACHED_NOTE}`), expiry.atMs / 1000);
    set(
      gauge('klp_patch_days_until_expiry', 'Days until live patch support for the running kernel ends, computed at scrape time; negative once it has ended. Deliberately in days (not seconds), as operators read it.'),
      round((expiry.atMs - o.nowMs) / 86_400_000),
    );
    const src = gauge('klp_patch_expiry_source', 'Where the live patch expiry comes from: lifecycle data, zypper, or the kernel build time plus the support window (1 for the source used).', ['source']);
    for (const x of o.expirySources) set(src, x === expiry.source ? 1 : 0, { source: x });
  }

  if (s.repositories) {
    const REPO_NOTE = 'Cached: refreshed when a repository definition or its repomd.xml changes.';
    const repos = s.repositories.repositories;
    // Not when a .repo file could not be read: the counts would be made up.
    if (s.repositories.complete) set(gauge('klp_repositories_enabled', `Number of enabled zypp repositories (/etc/zypp/repos.d). ${REPO_NOTE}`), repos.length + s.repositories.ignored);
    if (s.repositories.complete)
      set(gauge('klp_repositories_ignored', `Number of enabled zypp repositories beyond the most the exporter reads (100, by priority): not read, no series of their own. ${REPO_NOTE}`), s.repositories.ignored);
    const refreshed = repos.filter((r) => r.refreshedMs !== undefined);
    if (refreshed.length > 0) {
      const age = gauge('klp_repository_metadata_age_seconds', "Seconds since the enabled repository's metadata was last refreshed (modification time of its cached repomd.xml), computed at scrape time.", ['repository']);
      for (const r of refreshed) set(age, round((o.nowMs - r.refreshedMs!) / 1000), { repository: r.alias });
    }
    if (repos.length > 0) {
      const auto = gauge('klp_repository_autorefresh', "Whether zypper refreshes the enabled repository's metadata by itself before use (autorefresh in its .repo file).", ['repository']);
      for (const r of repos) set(auto, r.autorefresh ? 1 : 0, { repository: r.alias });
    }
  }
  const av = d.available;
  if (av) {
    if (av.version !== undefined) {
      set(gauge('klp_patch_available_version', "Highest VERSION of the running kernel's live patch package offered by the enabled repositories' cached metadata (0 = none offered)."), av.version);
    }
    if (av.newest) {
      const n = av.newest;
      set(
        gauge('klp_patch_available_info', 'The newest live patch package for the running kernel offered by the enabled repositories, and the repository (alias) offering it.', [
          'package',
          'version',
          'release',
          'repository',
        ]),
        1,
        {
          package: n.pkg.name,
          version: n.pkg.version,
          release: n.pkg.release,
          repository: n.repository,
        },
      );
    }
    if (av.advisory) {
      set(gauge('klp_patch_available_advisory_info', 'The advisory (updateinfo) that ships the newest offered live patch, with its severity.', ['id', 'severity']), 1, {
        id: av.advisory.id,
        severity: av.advisory.severity,
      });
    }
    if (av.cvesNew !== undefined) {
      set(gauge('klp_patch_available_cves_new', 'Number of CVEs the advisories of the offered live patches above the active one, up to the newest, fix that the active live patch does not.'), av.cvesNew);
    }
  }

  return reg.metrics();
}

/** Six significant decimals: stable text without float noise. */
function round(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}
