/**
 * Prometheus recording and alerting rules for klp_exporter, rendered to alerts/klp.rules.yml.
 *
 * Style follows the monitoring mixins: `Klp<Condition>` alert names, a `severity` label
 * (critical pages, warning makes a ticket, info is not routed), a static `summary`, a templated
 * `description` naming instance, kernel and live patch, and a `runbook_url` with one anchor per alert.
 */
import { stringify } from 'yaml';
import { config } from '../dashboards/config.js';

const sel = config.jobSelector;

/** A selector for `metric` restricted to the klp_exporter job, plus optional extra matchers. */
export function jobMetric(metric: string, ...matchers: string[]): string {
  return `${metric}{${[sel, ...matchers].join(', ')}}`;
}

/** Adds the running kernel's `release` and `revision` labels to a per-host expression. */
function withKernel(expr: string): string {
  return `(\n  ${expr.split('\n').join('\n  ')}\n)\n* on (job, instance) group_left (release, revision)\n  ${jobMetric('klp_kernel_info')}`;
}

/** Template snippet: the value of `metric` for the alert's host (first series), or `fallback`. */
function hostValue(metric: string, pipe: string, fallback: string): string {
  return `{{ with printf "${metric}{job=%q,instance=%q}" $labels.job $labels.instance | query }}{{ . | first | value | ${pipe} }}{{ else }}${fallback}{{ end }}`;
}

/**
 * Template snippet: the enabled live patches on the alert's host (a disabled patch, still loaded,
 * protects nothing), as package name-version-release (klp_patch_info), or as sysfs patch names
 * (klp_patch_enabled) when no package maps to them; "none" when no patch is enabled.
 */
const enabledPatches =
  '{{ with printf "klp_patch_info{job=%q,instance=%q} and on (job, instance, patch) klp_patch_enabled{job=%q,instance=%q} == 1" $labels.job $labels.instance $labels.job $labels.instance | query }}' +
  '{{ range $i, $p := . | sortByLabel "patch" }}{{ if $i }}, {{ end }}{{ $p.Labels.package }}-{{ $p.Labels.version }}-{{ $p.Labels.release }}{{ end }}' +
  '{{ else }}' +
  '{{ range $i, $p := printf "klp_patch_enabled{job=%q,instance=%q} == 1" $labels.job $labels.instance | query | sortByLabel "patch" }}' +
  '{{ if $i }}, {{ end }}{{ $p.Labels.patch }}{{ else }}none{{ end }}' +
  '{{ end }}';

/** Template snippet: the kernel of the alert's host from the last day, for alerts whose expression has no kernel join. */
const lastKnownKernel =
  '{{ with printf "last_over_time(klp_kernel_info{job=%q,instance=%q}[1d])" $labels.job $labels.instance | query }}' +
  '{{ . | first | label "release" }}{{ else }}unknown{{ end }}';

const kernel = 'kernel {{ $labels.release }} (revision {{ $labels.revision }})';

export type Severity = 'critical' | 'warning' | 'info';

export interface AlertRule {
  alert: string;
  expr: string;
  for: string;
  labels: { severity: Severity };
  annotations: { summary: string; description: string; runbook_url: string };
}

export interface RecordingRule {
  record: string;
  expr: string;
}

function alert(
  name: string,
  severity: Severity,
  forDuration: string,
  expr: string,
  summary: string,
  description: string,
): AlertRule {
  return {
    alert: name,
    expr,
    for: forDuration,
    labels: { severity },
    annotations: { summary, description, runbook_url: runbookUrl(name) },
  };
}

export function runbookUrl(alertName: string): string {
  return `${config.runbookUrlBase}#${alertName.toLowerCase()}`;
}

const activeByKernel = 'instance:klp_patch_active_version:kernel';
const fleetMaxByRevision = 'revision:klp_patch_active_version:max';
/** Hosts with an installed live patch update not applied (value: the installed version); the alert and the fleet panels read it. */
export const updateNotApplied = 'instance:klp_patch_installed_version:not_applied';
/**
 * Hosts whose exporter answers (klp_exporter_build_info: the target is up, or its textfile is read) but that report
 * no live patch state (livepatch collector failed, or an unreadable patch attribute).
 */
export const stateUnknown = 'instance:klp_livepatch_state:unknown';

export const recordingRules: RecordingRule[] = [
  {
    // The one definition of "update not applied": a newer live patch is installed for the running kernel than the
    // active one, and some patch is active. A host with none active (version 0) is KlpKernelNotLivePatched instead.
    record: updateNotApplied,
    expr: `${jobMetric('klp_patch_installed_version')} > ${jobMetric('klp_patch_active_version')}\nand\n${jobMetric('klp_patch_active_version')} > 0`,
  },
  {
    // The one definition of live patch state "unknown": the exporter answers (its build info is there), but reports
    // no klp_livepatch_state series. Not `up`: in textfile mode `up` is node_exporter's, on hosts without klp too.
    record: stateUnknown,
    expr: `count by (job, instance) (${jobMetric('klp_exporter_build_info')})\nunless on (job, instance)\n${jobMetric('klp_livepatch_state')}`,
  },
  {
    // Active live patch version per host, labelled with the running kernel's release and revision.
    record: activeByKernel,
    expr: `${jobMetric('klp_patch_active_version')}\n* on (job, instance) group_left (release, revision)\n  ${jobMetric('klp_kernel_info')}`,
  },
  {
    // The fleet's highest active live patch version per kernel revision (drift baseline).
    record: fleetMaxByRevision,
    expr: `max by (job, revision) (${jobMetric(activeByKernel)})`,
  },
  {
    // Number of hosts per kernel revision and active live patch version (drift distribution).
    record: 'revision_active_version:klp_hosts:count',
    expr: `count_values by (job, revision) ("active_version", ${jobMetric(activeByKernel)})`,
  },
  {
    // Number of hosts in each live patch state, and state="unknown" for hosts whose exporter answers without a state,
    // so that the states add up to the hosts that report; states no host is in are recorded as 0.
    record: 'state:klp_livepatch_state:sum',
    expr:
      `sum by (job, state) (${jobMetric('klp_livepatch_state')})\nor\n` +
      `label_replace(\n  count by (job) (${jobMetric(stateUnknown)})\n  or\n  0 * count by (job) (${jobMetric('klp_exporter_build_info')}),\n  "state", "unknown", "", ""\n)`,
  },
  // The fleet dashboard's time series panels read the rules below (and the one above): a 7-day range
  // of the same aggregation over the raw series of a large fleet takes seconds or exceeds the query
  // sample limit (docs/benchmarks.md, section 5).
  {
    // Number of hosts on which each collector failed its last collection; collectors that fail
    // nowhere are recorded as 0.
    record: 'collector:klp_scrape_collector_failing:count',
    expr: `sum by (job, collector) (${jobMetric('klp_scrape_collector_success')} == bool 0)`,
  },
  {
    // Longest last collection time of each collector across hosts (the slowest host).
    record: 'collector:klp_scrape_collector_duration_seconds:max',
    expr: `max by (job, collector) (${jobMetric('klp_scrape_collector_duration_seconds')})`,
  },
  {
    // Longest scrape of any klp_exporter target (the slowest host).
    record: 'job:scrape_duration_seconds:max',
    expr: `max by (job) (scrape_duration_seconds{${sel}})`,
  },
];

const { expiryWarningDays: warnDays, expiryCriticalDays: critDays } = config;
const f = config.for;
const days = jobMetric('klp_patch_days_until_expiry');
const expiryDate = hostValue('klp_patch_expiry_timestamp_seconds', 'humanizeTimestamp', 'unknown');

/** KlpLivePatchExpiringSoon at one severity: support ends in fewer than `within` days, and not in fewer than `notWithin`. */
function expiringSoon(severity: Severity, within: number, notWithin: number, advice: string): AlertRule {
  return alert(
    'KlpLivePatchExpiringSoon',
    severity,
    f.expiring,
    withKernel(`${days} < ${within}\nand\n${days} >= ${notWithin}`),
    `Live patch support for the running kernel ends within ${within} days.`,
    `Live patch support for ${kernel} on {{ $labels.instance }} ends in {{ printf "%.1f" $value }} days (${expiryDate}). ` +
      `Enabled live patch: ${enabledPatches}. ${advice}`,
  );
}

export const alertRules: AlertRule[] = [
  expiringSoon('warning', warnDays, critDays, 'Plan a reboot into a newer kernel.'),
  expiringSoon('critical', critDays, 0, 'Reboot into a newer kernel before then.'),
  alert(
    'KlpLivePatchExpired',
    'critical',
    f.expired,
    withKernel(`-${days} > 0`),
    'Live patch support for the running kernel has ended.',
    `Live patch support for ${kernel} on {{ $labels.instance }} ended {{ printf "%.1f" $value }} days ago (${expiryDate}); ` +
      `the kernel gets no more live patches. Enabled live patch: ${enabledPatches}. Reboot into a newer kernel.`,
  ),
  alert(
    'KlpLivePatchTransitionStuck',
    'warning',
    f.transitionStuck,
    withKernel(`${jobMetric('klp_livepatch_state', 'state="transition"')} == 1`),
    'A live patch transition has not finished.',
    `The live patch transition for ${kernel} on {{ $labels.instance }} has not finished for ${f.transitionStuck}. ` +
      'Patches in transition: {{ range $i, $p := printf "klp_patch_transition{job=%q,instance=%q} == 1" $labels.job $labels.instance | query | sortByLabel "patch" }}' +
      '{{ if $i }}, {{ end }}{{ $p.Labels.patch }}{{ else }}unknown{{ end }}. ' +
      `Enabled live patch packages: ${enabledPatches}. Check the blocking tasks with klp blocking.`,
  ),
  alert(
    'KlpLivePatchUpdateNotApplied',
    'warning',
    f.updateNotApplied,
    // The recording rule holds the definition, shared with the fleet dashboard's "Update not applied" panels.
    withKernel(jobMetric(updateNotApplied)),
    'An installed live patch update is not applied.',
    `Live patch version {{ $value }} for ${kernel} is installed on {{ $labels.instance }}, ` +
      `but the active version is ${hostValue('klp_patch_active_version', 'printf "%.0f"', 'unknown')}. ` +
      `Enabled live patch: ${enabledPatches}.`,
  ),
  alert(
    'KlpKernelNotLivePatched',
    'warning',
    f.notLivePatched,
    // Fires only on hosts that use live patching: a live patch package is installed (for any kernel)
    // or the kernel taint shows a live patch was loaded since boot. Hosts that never subscribed stay quiet.
    withKernel(
      `${jobMetric('klp_livepatch_supported')} == 1\n` +
        `and on (job, instance)\n${jobMetric('klp_livepatch_state', 'state="unpatched"')} == 1\n` +
        `and on (job, instance)\n(\n  ${jobMetric('klp_packages_installed')} > 0\n  or on (job, instance)\n  ${jobMetric('klp_kernel_tainted_livepatch')} == 1\n)`,
    ),
    'The running kernel has no live patch loaded.',
    `No live patch is loaded for ${kernel} on {{ $labels.instance }}, although the host uses live patching ` +
      `(${hostValue('klp_packages_installed', 'printf "%.0f"', 'unknown')} live patch packages installed, ` +
      `livepatch taint ${hostValue('klp_kernel_tainted_livepatch', 'printf "%.0f"', 'unknown')}). ` +
      `Installed live patch version for this kernel: ${hostValue('klp_patch_installed_version', 'printf "%.0f"', 'unknown')}.`,
  ),
  alert(
    'KlpCollectorFailing',
    'warning',
    f.collectorFailing,
    `${jobMetric('klp_scrape_collector_success')} == 0`,
    'A klp_exporter collector is failing.',
    `The {{ $labels.collector }} collector of klp_exporter on {{ $labels.instance }} (kernel ${lastKnownKernel}) ` +
      `has failed for ${f.collectorFailing}; its metrics are missing and live patch alerts for this host may not fire.`,
  ),
  alert(
    'KlpExporterDown',
    'warning',
    f.exporterDown,
    `up{${sel}} == 0`,
    'Prometheus cannot scrape a klp_exporter target.',
    `Prometheus has failed to scrape klp_exporter on {{ $labels.instance }} (job {{ $labels.job }}, ` +
      `last known kernel ${lastKnownKernel}) for ${f.exporterDown}; live patch state of this host is unknown.`,
  ),
  alert(
    'KlpExporterAbsent',
    'warning',
    f.exporterAbsent,
    `absent(up{${sel}})`,
    'No klp_exporter target is known to Prometheus.',
    `Prometheus has no target for the selector {${sel}} (job {{ $labels.job }}) since ${f.exporterAbsent}; ` +
      'no host reports its live patch state.',
  ),
  alert(
    'KlpLivePatchVersionDrift',
    'warning',
    f.versionDrift,
    `(${jobMetric(activeByKernel)} > 0)\n< on (job, revision) group_left\n  ${jobMetric(fleetMaxByRevision)}`,
    'A host runs an older live patch than other hosts on the same kernel.',
    `Live patch version {{ $value }} is active for ${kernel} on {{ $labels.instance }}, ` +
      `but other hosts on the same kernel revision run version ` +
      `{{ with printf "${fleetMaxByRevision}{job=%q,revision=%q}" $labels.job $labels.revision | query }}{{ . | first | value }}{{ else }}unknown{{ end }}. ` +
      `Enabled live patch: ${enabledPatches}.`,
  ),
  alert(
    'KlpNewerKernelNotBooted',
    'info',
    f.newerKernelNotBooted,
    withKernel(`${jobMetric('klp_kernel_newer_installed')} == 1`),
    'A newer kernel is installed but not booted.',
    `A newer kernel than ${kernel} is installed on {{ $labels.instance }} but has not been booted for ${f.newerKernelNotBooted}. ` +
      `Live patch support for the running kernel ends ${expiryDate}. Enabled live patch: ${enabledPatches}.`,
  ),
  alert(
    'KlpLivePatchUpdateAvailable',
    'warning',
    f.updateAvailable,
    withKernel(`${jobMetric('klp_patch_available_version')} > ${jobMetric('klp_patch_installed_version')}`),
    'A newer live patch is available but not installed.',
    `Live patch version {{ $value }} for ${kernel} is offered by ` +
      '{{ with printf "klp_patch_available_info{job=%q,instance=%q}" $labels.job $labels.instance | query }}' +
      '{{ with . | first }}repository {{ .Labels.repository }} ({{ .Labels.package }}-{{ .Labels.version }}-{{ .Labels.release }}){{ end }}{{ else }}a repository{{ end }}' +
      ` on {{ $labels.instance }}, but the installed version is ${hostValue('klp_patch_installed_version', 'printf "%.0f"', 'unknown')}` +
      '{{ with printf "klp_patch_available_advisory_info{job=%q,instance=%q}" $labels.job $labels.instance | query }}' +
      '{{ with . | first }}; advisory {{ .Labels.id }} ({{ .Labels.severity }}){{ end }}{{ end }}' +
      `${hostValue('klp_patch_available_cves_new', 'printf ", fixing %.0f CVEs the active patch does not"', '')}. Install it with zypper patch.`,
  ),
  alert(
    'KlpRepositoryMetadataStale',
    'warning',
    f.repositoryStale,
    `${jobMetric('klp_repository_metadata_age_seconds')} > ${config.repositoryStaleDays} * 86400`,
    `A repository's metadata has not been refreshed for ${config.repositoryStaleDays} days.`,
    'The cached metadata of repository {{ $labels.repository }} on {{ $labels.instance }} was last refreshed ' +
      '{{ $value | humanizeDuration }} ago (autorefresh ' +
      '{{ with printf "klp_repository_autorefresh{job=%q,instance=%q,repository=%q}" $labels.job $labels.instance $labels.repository | query }}{{ if eq (. | first | value) 1.0 }}on{{ else }}off{{ end }}{{ else }}unknown{{ end }}' +
      `); newer live patches it offers are not seen. Run zypper refresh (kernel ${lastKnownKernel}).`,
  ),
];

/** Unique alert names, in file order. */
export function alertNames(): string[] {
  return [...new Set(alertRules.map((r) => r.alert))];
}

export function rulesFile(): { groups: { name: string; rules: (AlertRule | RecordingRule)[] }[] } {
  return {
    groups: [
      { name: 'klp.rules', rules: recordingRules },
      { name: 'klp.alerts', rules: alertRules },
    ],
  };
}

export function renderRules(): string {
  const header = [
    '# Generated by `npm run dashboards` from alerts/rules.ts and dashboards/config.ts. Do not edit by hand:',
    `# change the source (the job selector ${sel} and the thresholds live in dashboards/config.ts) and regenerate.`,
    '',
  ].join('\n');
  return header + stringify(rulesFile(), { lineWidth: 0, blockQuote: 'literal' });
}
