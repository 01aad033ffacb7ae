// Representative fleet queries, used by the fleet benchmark only when the repository has no
// dashboards/*.json and alerts/*.yml (the real dashboards and rules are timed when they exist).
// kind: instant (a stat or table panel), range (a time series panel), rule (both).

const J = 'job="klp"';
export const FALLBACK_QUERIES = [
  { source: 'fleet: hosts by state', kind: 'instant', expr: `sum by (state) (klp_livepatch_state{${J}})` },
  { source: 'fleet: state over time', kind: 'range', expr: `sum by (state) (klp_livepatch_state{${J}})` },
  { source: 'fleet: expired', kind: 'instant', expr: `count(klp_patch_days_until_expiry{${J}} < 0) or vector(0)` },
  { source: 'fleet: expiring within 30 days', kind: 'instant', expr: `count(klp_patch_days_until_expiry{${J}} < 30 >= 0) or vector(0)` },
  { source: 'fleet: update not applied', kind: 'instant', expr: `count(klp_patch_installed_version{${J}} > klp_patch_active_version{${J}}) or vector(0)` },
  { source: 'fleet: kernel revisions', kind: 'instant', expr: `count by (revision) (klp_kernel_info{${J}})` },
  { source: 'fleet: versions per revision', kind: 'instant', expr: `count_values by (revision) ("active_version", klp_patch_active_version{${J}} * on (job, instance) group_left (revision) klp_kernel_info{${J}})` },
  { source: 'fleet: hosts table', kind: 'instant', expr: `max by (instance) (klp_patch_days_until_expiry{${J}})` },
  { source: 'fleet: failing collectors', kind: 'range', expr: `count by (collector) (klp_scrape_collector_success{${J}} == 0)` },
  { source: 'fleet: slowest collector', kind: 'range', expr: `max by (collector) (klp_scrape_collector_duration_seconds{${J}})` },
  { source: 'host: state', kind: 'range', expr: `klp_livepatch_state{${J}, instance=~"$instance"}` },
  { source: 'rule: expiring soon', kind: 'rule', expr: `(klp_patch_days_until_expiry{${J}} < 30) * on (job, instance) group_left (release, revision) klp_kernel_info{${J}}` },
  { source: 'rule: expired', kind: 'rule', expr: `(klp_patch_days_until_expiry{${J}} < 0) * on (job, instance) group_left (release, revision) klp_kernel_info{${J}}` },
  { source: 'rule: transition stuck', kind: 'rule', expr: `klp_livepatch_state{${J}, state="transition"} == 1` },
  { source: 'rule: update not applied', kind: 'rule', expr: `klp_patch_installed_version{${J}} > klp_patch_active_version{${J}}` },
  { source: 'rule: collector failing', kind: 'rule', expr: `klp_scrape_collector_success{${J}} == 0` },
  { source: 'rule: exporter down', kind: 'rule', expr: `up{${J}} == 0` },
];
