/** "KLP / Fleet overview": live patch state, expiry, drift and exporter health across all hosts. */
import * as bargauge from '@grafana/grafana-foundation-sdk/bargauge';
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as table from '@grafana/grafana-foundation-sdk/table';
import { config } from './config.js';
import { stateUnknown, updateNotApplied } from '../alerts/rules.js';
import { DS, HOST, JOB, baseDashboard, grid, hostDashboardUrl, lastValue, hostMetric, target, thresholds, timeSeriesPanel, variables } from './common.js';

const { expiryWarningDays: warnDays, expiryCriticalDays: critDays } = config;
const days = hostMetric('klp_patch_days_until_expiry');

/** Colours for the live patch state enum. */
const stateMappings: dashboard.ValueMapping[] = [
  {
    type: dashboard.MappingType.ValueToText,
    options: {
      patched: { color: 'green', index: 0 },
      transition: { color: 'orange', index: 1 },
      unpatched: { color: 'red', index: 2 },
      unsupported: { color: 'text', index: 3 },
    },
  },
];

function countStat(title: string, description: string, expr: string, pos: dashboard.GridPos, warnAt: number, color = 'red') {
  return new stat.PanelBuilder()
    .title(title)
    .description(description)
    .datasource(DS)
    .unit('short')
    .decimals(0)
    .gridPos(pos)
    .reduceOptions(lastValue)
    .graphMode(common.BigValueGraphMode.None)
    .colorMode(common.BigValueColorMode.Background)
    .thresholds(thresholds([null, 'green'], [warnAt, color]))
    .withTarget(target('A', expr, { instant: true }));
}

/** Description suffix of panels that read fleet-wide recorded series (one series per job, not per host). */
function fleetWide(...records: string[]): string {
  const rules = records.map((r) => `\`${r}\``).join(' and ');
  return (
    ` Fleet-wide: reads the recording ${records.length > 1 ? 'rules' : 'rule'} ${rules} of alerts/klp.rules.yml ` +
    '(no data until they are loaded), so the Instance filter does not apply.'
  );
}

/** A horizontal bar gauge of the last values (hosts per state, revision, version; slowest scrapes). */
function hbars() {
  return new bargauge.PanelBuilder()
    .reduceOptions(lastValue)
    .orientation(common.VizOrientation.Horizontal)
    .displayMode(common.BarGaugeDisplayMode.Basic)
    .thresholds(thresholds([null, 'blue']));
}

function row(title: string, y: number) {
  return new dashboard.RowBuilder(title).gridPos(grid(0, y, 24, 1));
}

const hostTable = new table.PanelBuilder()
  .title('Hosts by days until live patch expiry')
  .description(
    'One row per host, soonest expiry first: running kernel, live patch state, active and installed live patch version, ' +
      'the highest version active on any host with the same kernel revision, days until live patch support ends and the ' +
      'number of CVEs the active live patch fixes. Click an instance to open its host dashboard.',
  )
  .datasource(DS)
  .unit('none')
  .decimals(0)
  .gridPos(grid(0, 12, 24, 10))
  .withTarget(target('A', `max by (instance, release, revision) (${hostMetric('klp_kernel_info')})`, { instant: true, table: true }))
  .withTarget(target('B', `max by (instance, state) (${hostMetric('klp_livepatch_state')} == 1)`, { instant: true, table: true }))
  .withTarget(target('C', `max by (instance) (${hostMetric('klp_patch_active_version')})`, { instant: true, table: true }))
  .withTarget(target('D', `max by (instance) (${hostMetric('klp_patch_installed_version')})`, { instant: true, table: true }))
  .withTarget(
    target('E', `max by (instance) (${hostMetric('klp_kernel_info')} * on (job, revision) group_left revision:klp_patch_active_version:max{${JOB}})`, {
      instant: true,
      table: true,
    }),
  )
  .withTarget(target('F', `max by (instance) (${days})`, { instant: true, table: true }))
  .withTarget(target('G', `max by (instance) (${hostMetric('klp_patch_cves')})`, { instant: true, table: true }))
  .withTransformation({ id: 'merge', options: {} })
  .withTransformation({
    id: 'organize',
    options: {
      excludeByName: { Time: true, 'Value #A': true, 'Value #B': true },
      indexByName: { instance: 0, release: 1, revision: 2, state: 3, 'Value #C': 4, 'Value #D': 5, 'Value #E': 6, 'Value #F': 7, 'Value #G': 8 },
      renameByName: {
        instance: 'Instance',
        release: 'Kernel release',
        revision: 'Kernel revision',
        state: 'State',
        'Value #C': 'Active version',
        'Value #D': 'Installed version',
        'Value #E': 'Fleet max for revision',
        'Value #F': 'Days until expiry',
        'Value #G': 'CVEs fixed',
      },
    },
  })
  .sortBy([new common.TableSortByFieldStateBuilder().displayName('Days until expiry').desc(false)])
  .overrideByName('Days until expiry', [
    { id: 'unit', value: 'suffix: days' },
    { id: 'decimals', value: 1 },
    { id: 'custom.cellOptions', value: { type: 'color-text' } },
    { id: 'thresholds', value: thresholds([null, 'red'], [critDays, 'orange'], [warnDays, 'green']).build() },
  ])
  .overrideByName('State', [
    { id: 'mappings', value: stateMappings },
    { id: 'custom.cellOptions', value: { type: 'color-text' } },
  ])
  .overrideByName('Instance', [{ id: 'links', value: [{ title: 'Host detail for ${__value.raw}', url: hostDashboardUrl('${__value.raw}') }] }]);

export function fleetDashboard() {
  const d = config.dashboards.fleet;
  const b = baseDashboard(
    d,
    'Kernel live patch (KLP) state of all hosts scraped by klp_exporter: state, expiry, drift per kernel revision, pending reboots and exporter health.',
  );
  for (const v of variables({ multi: true })) b.withVariable(v);

  b.withRow(row('Summary', 0))
    .withPanel(
      countStat('Exporters down', 'klp_exporter targets Prometheus cannot scrape (up == 0).', `count(up{${HOST}} == 0) or vector(0)`, grid(0, 1, 4, 4), 1),
    )
    .withPanel(
      countStat(
        'Live patch expired',
        'Hosts whose running kernel no longer gets live patches (days until expiry below 0).',
        `count(${days} < 0) or vector(0)`,
        grid(4, 1, 4, 4),
        1,
      ),
    )
    .withPanel(
      countStat(
        `Expiring within ${critDays} days`,
        `Hosts whose live patch support ends within ${critDays} days.`,
        `count(${days} < ${critDays} >= 0) or vector(0)`,
        grid(8, 1, 4, 4),
        1,
      ),
    )
    .withPanel(
      countStat(
        `Expiring within ${warnDays} days`,
        `Hosts whose live patch support ends within ${warnDays} days (includes the ${critDays}-day group).`,
        `count(${days} < ${warnDays} >= 0) or vector(0)`,
        grid(12, 1, 4, 4),
        1,
        'orange',
      ),
    )
    .withPanel(
      countStat(
        'Update not applied',
        'Hosts with a newer live patch installed for the running kernel than the one active, while some live patch is active: ' +
          `the hosts KlpLivePatchUpdateNotApplied is about (recording rule ${updateNotApplied} of alerts/klp.rules.yml; no data until it is loaded). ` +
          'A host with no live patch active at all counts under KlpKernelNotLivePatched instead.',
        `count(${hostMetric(updateNotApplied)}) or vector(0)`,
        grid(16, 1, 4, 4),
        1,
        'orange',
      ),
    )
    .withPanel(
      countStat(
        'Reboot pending',
        'Hosts with a newer kernel of the running flavor installed but not booted.',
        `count(${hostMetric('klp_kernel_newer_installed')} == 1) or vector(0)`,
        grid(20, 1, 4, 4),
        1,
        'blue',
      ),
    )
    .withPanel(
      hbars()
        .title('Hosts by live patch state')
        .description(
          'Number of hosts in each live patch state now: patched, transition, unpatched, unsupported, and unknown: hosts whose ' +
            `exporter answers but reports no state (livepatch collector failing; recording rule ${stateUnknown} of alerts/klp.rules.yml). ` +
            'The bars add up to the hosts that are up.',
        )
        .datasource(DS)
        .unit('short')
        .decimals(0)
        .gridPos(grid(0, 5, 8, 6))
        .withTarget(
          target(
            'A',
            `sum by (state) (${hostMetric('klp_livepatch_state')})\nor\nlabel_replace(count(${hostMetric(stateUnknown)}) or vector(0), "state", "unknown", "", "")`,
            { instant: true, legend: '{{state}}' },
          ),
        ),
    )
    .withPanel(
      timeSeriesPanel()
        .title('Live patch state over time')
        .description(
          `Number of hosts in each live patch state over time (unknown: the exporter answers without a state).${fleetWide('state:klp_livepatch_state:sum')}`,
        )
        .datasource(DS)
        .unit('short')
        .decimals(0)
        .min(0)
        .gridPos(grid(8, 5, 16, 6))
        .fillOpacity(30)
        .stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal))
        .withTarget(target('A', `sum by (state) (state:klp_livepatch_state:sum{${JOB}})`, { legend: '{{state}}' })),
    );

  b.withRow(row('Hosts', 11)).withPanel(hostTable);

  b.withRow(row('Drift', 22))
    .withPanel(
      hbars()
        .title('Kernel revisions')
        .description('Number of hosts running each kernel revision.')
        .datasource(DS)
        .unit('short')
        .decimals(0)
        .gridPos(grid(0, 23, 8, 8))
        .withTarget(target('A', `count by (revision) (${hostMetric('klp_kernel_info')})`, { instant: true, legend: '{{revision}}' })),
    )
    .withPanel(
      hbars()
        .title('Live patch versions per kernel revision')
        .description(
          'Number of hosts per kernel revision and active live patch version (0 = no live patch active). ' +
            'More than one version for the same revision is drift.',
        )
        .datasource(DS)
        .unit('short')
        .decimals(0)
        .gridPos(grid(8, 23, 8, 8))
        .withTarget(
          target(
            'A',
            `count_values by (revision) ("active_version", ${hostMetric('klp_patch_active_version')} * on (job, instance) group_left (revision) ${hostMetric('klp_kernel_info')})`,
            { instant: true, legend: '{{revision}} version {{active_version}}' },
          ),
        ),
    )
    .withPanel(
      new table.PanelBuilder()
        .title('Hosts behind the fleet for their kernel')
        .description(
          'Hosts whose active live patch version is below the highest version active on any host with the same kernel revision ' +
            "(recording rule revision:klp_patch_active_version:max). Value: the host's active version.",
        )
        .datasource(DS)
        .unit('none')
        .decimals(0)
        .gridPos(grid(16, 23, 8, 8))
        .withTarget(
          target(
            'A',
            `(${hostMetric('klp_patch_active_version')} * on (job, instance) group_left (revision) ${hostMetric('klp_kernel_info')}) < on (job, revision) group_left revision:klp_patch_active_version:max{${JOB}}`,
            { instant: true, table: true },
          ),
        )
        .withTransformation({
          id: 'organize',
          options: { excludeByName: { Time: true, job: true }, renameByName: { instance: 'Instance', revision: 'Kernel revision', Value: 'Active version' } },
        }),
    );

  b.withRow(row('Reboots and updates', 31)).withPanel(
    new table.PanelBuilder()
      .title('Hosts with a pending reboot or an unapplied update')
      .description(
        'Hosts with a newer kernel installed but not booted (reboot pending), or a live patch update not applied (installed version ' +
          `shown): a newer live patch installed than the active one, while some live patch is active, as KlpLivePatchUpdateNotApplied ` +
          `(recording rule ${updateNotApplied}).`,
      )
      .datasource(DS)
      .unit('none')
      .decimals(0)
      .gridPos(grid(0, 32, 24, 8))
      .withTarget(target('A', `max by (instance) (${hostMetric('klp_kernel_newer_installed')} == 1)`, { instant: true, table: true }))
      .withTarget(target('B', `max by (instance) (${hostMetric(updateNotApplied)})`, { instant: true, table: true }))
      .withTransformation({ id: 'merge', options: {} })
      .withTransformation({
        id: 'organize',
        options: {
          excludeByName: { Time: true },
          renameByName: { instance: 'Instance', 'Value #A': 'Reboot pending', 'Value #B': 'Installed version not applied' },
        },
      })
      .overrideByName('Reboot pending', [{ id: 'unit', value: 'bool_yes_no' }])
      .overrideByName('Instance', [{ id: 'links', value: [{ title: 'Host detail for ${__value.raw}', url: hostDashboardUrl('${__value.raw}') }] }]),
  );

  b.withRow(row('Exporter health', 40))
    .withPanel(
      timeSeriesPanel()
        .title('Failing collectors')
        .description(
          'Number of hosts on which each collector failed its last collection (klp_scrape_collector_success == 0).' +
            fleetWide('collector:klp_scrape_collector_failing:count'),
        )
        .datasource(DS)
        .unit('short')
        .decimals(0)
        .min(0)
        .gridPos(grid(0, 41, 6, 8))
        .withTarget(target('A', `sum by (collector) (collector:klp_scrape_collector_failing:count{${JOB}})`, { legend: '{{collector}}' })),
    )
    .withPanel(
      timeSeriesPanel()
        .title('Collector duration (slowest host)')
        .description(
          'Longest last collection time per collector across hosts; cached collectors report their last refresh.' +
            fleetWide('collector:klp_scrape_collector_duration_seconds:max'),
        )
        .datasource(DS)
        .unit('s')
        .min(0)
        .gridPos(grid(6, 41, 6, 8))
        .withTarget(target('A', `max by (collector) (collector:klp_scrape_collector_duration_seconds:max{${JOB}})`, { legend: '{{collector}}' })),
    )
    .withPanel(
      timeSeriesPanel()
        .title('Scrape duration (slowest host)')
        .description(
          'Longest time Prometheus took to scrape any klp_exporter of the job. "Slowest scrapes" shows which hosts.' +
            fleetWide('job:scrape_duration_seconds:max'),
        )
        .datasource(DS)
        .unit('s')
        .min(0)
        .gridPos(grid(12, 41, 6, 8))
        .withTarget(target('A', `max by (job) (job:scrape_duration_seconds:max{${JOB}})`, { legend: '{{job}}' })),
    )
    .withPanel(
      hbars()
        .title('Slowest scrapes')
        .description('The 10 klp_exporter targets Prometheus took longest to scrape at their last scrape, within the Instance filter.')
        .datasource(DS)
        .unit('s')
        .min(0)
        .gridPos(grid(18, 41, 6, 8))
        .withTarget(target('A', `topk(10, scrape_duration_seconds{${HOST}})`, { instant: true, legend: '{{instance}}' })),
    );

  b.withRow(row('Alerts', 49)).withPanel(
    new table.PanelBuilder()
      .title('Firing Klp alerts')
      .description('Klp* alerts firing now, from the ALERTS series of the klp_exporter alert rules (alerts/klp.rules.yml).')
      .datasource(DS)
      .unit('none')
      .gridPos(grid(0, 50, 24, 8))
      .withTarget(target('A', `ALERTS{alertname=~"Klp.*", alertstate="firing", ${HOST}}`, { instant: true, table: true }))
      .withTransformation({
        id: 'organize',
        options: {
          excludeByName: { Time: true, Value: true, __name__: true, alertstate: true },
          indexByName: { alertname: 0, severity: 1, instance: 2 },
        },
      }),
  );

  b.withRow(row('Repositories', 58))
    .withPanel(
      countStat(
        'Live patch update available',
        'Hosts whose enabled repositories offer a newer live patch for the running kernel than the one installed (repositories collector).',
        `count(${hostMetric('klp_patch_available_version')} > ${hostMetric('klp_patch_installed_version')}) or vector(0)`,
        grid(0, 59, 4, 7),
        1,
        'orange',
      ),
    )
    .withPanel(
      new table.PanelBuilder()
        .title('Hosts with an available live patch not installed')
        .description(
          'Hosts whose enabled repositories offer a newer live patch for the running kernel than the one installed: the offered and the installed ' +
            'version, and the CVEs the offered one fixes that the active live patch does not. Install it with zypper patch.',
        )
        .datasource(DS)
        .unit('none')
        .decimals(0)
        .gridPos(grid(4, 59, 12, 7))
        .withTarget(
          target('A', `max by (instance) (${hostMetric('klp_patch_available_version')} > ${hostMetric('klp_patch_installed_version')})`, {
            instant: true,
            table: true,
          }),
        )
        .withTarget(
          target('B', `max by (instance) (${hostMetric('klp_patch_installed_version')} < ${hostMetric('klp_patch_available_version')})`, {
            instant: true,
            table: true,
          }),
        )
        .withTarget(
          target(
            'C',
            `max by (instance) (${hostMetric('klp_patch_available_cves_new')} and on (job, instance) (${hostMetric('klp_patch_available_version')} > ${hostMetric('klp_patch_installed_version')}))`,
            { instant: true, table: true },
          ),
        )
        .withTransformation({ id: 'merge', options: {} })
        .withTransformation({
          id: 'organize',
          options: {
            excludeByName: { Time: true },
            renameByName: { instance: 'Instance', 'Value #A': 'Available version', 'Value #B': 'Installed version', 'Value #C': 'New CVEs' },
          },
        })
        .overrideByName('Instance', [{ id: 'links', value: [{ title: 'Host detail for ${__value.raw}', url: hostDashboardUrl('${__value.raw}') }] }]),
    )
    .withPanel(
      hbars()
        .title('Oldest repository metadata')
        .description(
          `The 10 hosts whose oldest enabled repository metadata was refreshed longest ago (klp_repository_metadata_age_seconds); ` +
            `orange from ${config.repositoryStaleDays} days, when KlpRepositoryMetadataStale fires. Newer live patches are unknown to such hosts.`,
        )
        .datasource(DS)
        .unit('s')
        .min(0)
        .thresholds(thresholds([null, 'green'], [config.repositoryStaleDays * 86400, 'orange']))
        .gridPos(grid(16, 59, 8, 7))
        .withTarget(
          target('A', `topk(10, max by (instance) (${hostMetric('klp_repository_metadata_age_seconds')}))`, { instant: true, legend: '{{instance}}' }),
        ),
    );

  return b;
}
