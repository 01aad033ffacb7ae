/**
 * The one place to change how the klp_exporter alerts and dashboards find their data.
 *
 * `npm run dashboards` renders alerts/klp.rules.yml and dashboards/*.json from these values.
 * Change a value here, regenerate and commit both the source and the output
 * (test/alerts/generated.test.ts fails while they disagree).
 */
export const config = {
  /** Label matcher that selects the klp_exporter scrape job in every alert and recording rule. */
  jobSelector: 'job="klp"',

  /** Live patch support ends soon: warning when fewer days than this are left ... */
  expiryWarningDays: 30,
  /** ... and critical when fewer days than this are left. Below 0 days KlpLivePatchExpired fires instead. */
  expiryCriticalDays: 7,

  /** How long each condition must hold before its alert fires. */
  for: {
    expiring: '1h',
    expired: '15m',
    transitionStuck: '15m',
    updateNotApplied: '30m',
    notLivePatched: '30m',
    collectorFailing: '15m',
    exporterDown: '15m',
    exporterAbsent: '15m',
    versionDrift: '1d',
    newerKernelNotBooted: '7d',
    updateAvailable: '1d',
    repositoryStale: '1h',
  },

  /** Repository metadata older than this many days is stale (KlpRepositoryMetadataStale). */
  repositoryStaleDays: 7,

  /**
   * Base of the runbook_url annotation, an absolute URL; the anchor is the alert name in lower case. The
   * project publishes no runbook address: this is docs/runbook.md as the RPM installs it (the spec's
   * %{_docdir}/%{name}/docs), which opens on a machine with the package. Operators who publish their own
   * copy print the rules with `klp_exporter rules --runbook-url=https://...` (src/monitoring.ts).
   */
  runbookUrlBase: 'file:///usr/share/doc/packages/prometheus-klp_exporter/docs/runbook.md',

  /** Fixed dashboard uids; links between the dashboards use them. */
  dashboards: {
    fleet: { uid: 'klp-fleet', title: 'KLP / Fleet overview', file: 'klp-fleet.json' },
    host: { uid: 'klp-host', title: 'KLP / Host detail', file: 'klp-host.json' },
  },
  /** Tag shared by the dashboards (the dashboard links use it). */
  dashboardTag: 'klp',
} as const;
