/** "KLP / Host detail": one host's live patch state, expiry, versions, kernel, taint and exporter health. */
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as statetimeline from '@grafana/grafana-foundation-sdk/statetimeline';
import * as table from '@grafana/grafana-foundation-sdk/table';
import { config } from './config.js';
import { DS, HOST, baseDashboard, grid, lastValue, hostMetric, target, thresholds, timeSeriesPanel, variables } from './common.js';

const { expiryWarningDays: warnDays, expiryCriticalDays: critDays } = config;

function row(title: string, y: number) {
  return new dashboard.RowBuilder(title).gridPos(grid(0, y, 24, 1));
}

/** A stat that shows a label of an info series (legend) instead of its value. */
function labelStat(title: string, description: string, expr: string, legend: string, pos: dashboard.GridPos) {
  return new stat.PanelBuilder()
    .title(title)
    .description(description)
    .datasource(DS)
    .unit('none')
    .gridPos(pos)
    .reduceOptions(lastValue)
    .graphMode(common.BigValueGraphMode.None)
    .colorMode(common.BigValueColorMode.None)
    .textMode(common.BigValueTextMode.Name)
    .withTarget(target('A', expr, { instant: true, legend }));
}

function valueStat(title: string, description: string, unit: string, pos: dashboard.GridPos) {
  return new stat.PanelBuilder()
    .title(title)
    .description(description)
    .datasource(DS)
    .unit(unit)
    .gridPos(pos)
    .reduceOptions(lastValue)
    .graphMode(common.BigValueGraphMode.None);
}

const yesNoColours = (yes: string, no: string) => thresholds([null, no], [1, yes]);

export function hostDashboard() {
  const d = config.dashboards.host;
  const b = baseDashboard(
    d,
    'Kernel live patch (KLP) detail for one host scraped by klp_exporter: state, expiry countdown, kernel and OS, live patch versions, CVEs, taint and exporter health.',
  );
  for (const v of variables({ multi: false })) b.withVariable(v);

  b.withRow(row('Status', 0))
    .withPanel(
      labelStat(
        'Live patch state',
        'Current live patch state: patched, transition, unpatched or unsupported.',
        `${hostMetric('klp_livepatch_state')} == 1`,
        '{{state}}',
        grid(0, 1, 4, 4),
      ),
    )
    .withPanel(
      valueStat(
        'Days until expiry',
        `Days until live patch support for the running kernel ends (red below ${critDays}, orange below ${warnDays}, negative: expired).`,
        'suffix: days',
        grid(4, 1, 4, 4),
      )
        .decimals(1)
        .colorMode(common.BigValueColorMode.Background)
        .thresholds(thresholds([null, 'red'], [critDays, 'orange'], [warnDays, 'green']))
        .withTarget(target('A', hostMetric('klp_patch_days_until_expiry'), { instant: true })),
    )
    .withPanel(
      valueStat('Live patch support ends', 'Date on which live patch support for the running kernel ends.', 'dateTimeAsIso', grid(8, 1, 4, 4)).withTarget(
        target('A', `${hostMetric('klp_patch_expiry_timestamp_seconds')} * 1000`, { instant: true }),
      ),
    )
    .withPanel(
      valueStat(
        'Live patch version',
        'Active (fully applied) and highest installed live patch version for the running kernel; 0 = none.',
        'none',
        grid(12, 1, 4, 4),
      )
        .decimals(0)
        .textMode(common.BigValueTextMode.ValueAndName)
        .withTarget(target('A', hostMetric('klp_patch_active_version'), { instant: true, legend: 'active' }))
        .withTarget(target('B', hostMetric('klp_patch_installed_version'), { instant: true, legend: 'installed' })),
    )
    .withPanel(
      valueStat('CVEs fixed', 'Number of CVEs the active live patch fixes (0 for an initial patch).', 'short', grid(16, 1, 4, 4))
        .decimals(0)
        .withTarget(target('A', hostMetric('klp_patch_cves'), { instant: true })),
    )
    .withPanel(
      valueStat('Reboot pending', 'A newer kernel of the running flavor is installed but not booted.', 'bool_yes_no', grid(20, 1, 4, 4))
        .colorMode(common.BigValueColorMode.Background)
        .thresholds(yesNoColours('blue', 'green'))
        .withTarget(target('A', hostMetric('klp_kernel_newer_installed'), { instant: true })),
    )
    .withPanel(labelStat('Kernel', 'Running kernel release (uname -r).', hostMetric('klp_kernel_info'), '{{release}}', grid(0, 5, 8, 4)))
    .withPanel(labelStat('Operating system', 'PRETTY_NAME from /etc/os-release.', hostMetric('klp_os_info'), '{{pretty_name}}', grid(8, 5, 6, 4)))
    .withPanel(
      valueStat('Live patch taint (K)', 'Kernel taint bit 15: a live patch has been loaded since boot.', 'bool_yes_no', grid(14, 5, 3, 4)).withTarget(
        target('A', hostMetric('klp_kernel_tainted_livepatch'), { instant: true }),
      ),
    )
    .withPanel(
      valueStat(
        'Live patching supported',
        'The running kernel supports live patching (/sys/kernel/livepatch exists).',
        'bool_yes_no',
        grid(17, 5, 3, 4),
      ).withTarget(target('A', hostMetric('klp_livepatch_supported'), { instant: true })),
    )
    .withPanel(labelStat('Exporter version', 'klp_exporter version on this host.', hostMetric('klp_exporter_build_info'), '{{version}}', grid(20, 5, 4, 4)))
    .withPanel(
      new table.PanelBuilder()
        .title('Loaded live patches')
        .description('Live patches loaded in the kernel (/sys/kernel/livepatch) with their package, and whether each is enabled or in transition.')
        .datasource(DS)
        .unit('none')
        .gridPos(grid(0, 9, 24, 6))
        .withTarget(target('A', `max by (patch, package, version, release) (${hostMetric('klp_patch_info')})`, { instant: true, table: true }))
        .withTarget(target('B', `max by (patch) (${hostMetric('klp_patch_enabled')})`, { instant: true, table: true }))
        .withTarget(target('C', `max by (patch) (${hostMetric('klp_patch_transition')})`, { instant: true, table: true }))
        .withTransformation({ id: 'merge', options: {} })
        .withTransformation({
          id: 'organize',
          options: {
            excludeByName: { Time: true, 'Value #A': true },
            indexByName: { patch: 0, package: 1, version: 2, release: 3, 'Value #B': 4, 'Value #C': 5 },
            renameByName: { patch: 'Patch', package: 'Package', version: 'Version', release: 'Release', 'Value #B': 'Enabled', 'Value #C': 'In transition' },
          },
        })
        .overrideByName('Enabled', [{ id: 'unit', value: 'bool_yes_no' }])
        .overrideByName('In transition', [{ id: 'unit', value: 'bool_yes_no' }]),
    );

  b.withRow(row('History', 15))
    .withPanel(
      new statetimeline.PanelBuilder()
        .title('Live patch state timeline')
        .description('Which live patch state the host was in over time.')
        .datasource(DS)
        .unit('none')
        .gridPos(grid(0, 16, 24, 6))
        .showValue(common.VisibilityMode.Never)
        .mergeValues(true)
        .mappings([
          {
            type: dashboard.MappingType.ValueToText,
            options: { '0': { text: ' ', color: 'transparent', index: 0 }, '1': { text: 'current', color: 'green', index: 1 } },
          },
        ])
        .withTarget(target('A', `sum by (state) (${hostMetric('klp_livepatch_state')})`, { legend: '{{state}}' })),
    )
    .withPanel(
      timeSeriesPanel()
        .title('Active vs installed live patch version')
        .description('Active (fully applied) and highest installed live patch version over time; a gap between them is an update not yet applied.')
        .datasource(DS)
        .unit('none')
        .decimals(0)
        .min(0)
        .gridPos(grid(0, 22, 12, 8))
        .withTarget(target('A', hostMetric('klp_patch_active_version'), { legend: 'active' }))
        .withTarget(target('B', hostMetric('klp_patch_installed_version'), { legend: 'installed' })),
    )
    .withPanel(
      timeSeriesPanel()
        .title('Expiry countdown')
        .description('Days until live patch support for the running kernel ends.')
        .datasource(DS)
        .unit('suffix: days')
        .decimals(1)
        .gridPos(grid(12, 22, 12, 8))
        .thresholds(thresholds([null, 'red'], [critDays, 'orange'], [warnDays, 'green']))
        .thresholdsStyle(new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.LineAndArea))
        .withTarget(target('A', hostMetric('klp_patch_days_until_expiry'), { legend: 'days until expiry' })),
    )
    .withPanel(
      timeSeriesPanel()
        .title('CVEs and bugs fixed by the active live patch')
        .description('Number of CVEs and bugs the active live patch fixes.')
        .datasource(DS)
        .unit('short')
        .decimals(0)
        .min(0)
        .gridPos(grid(0, 30, 12, 8))
        .withTarget(target('A', hostMetric('klp_patch_cves'), { legend: 'CVEs' }))
        .withTarget(target('B', hostMetric('klp_patch_bugs'), { legend: 'bugs' })),
    )
    .withPanel(
      timeSeriesPanel()
        .title('Kernel taint')
        .description('Raw /proc/sys/kernel/tainted value and the live patch taint bit (K, bit 15).')
        .datasource(DS)
        .unit('none')
        .decimals(0)
        .gridPos(grid(12, 30, 12, 8))
        .withTarget(target('A', hostMetric('klp_kernel_tainted'), { legend: 'tainted' }))
        .withTarget(target('B', hostMetric('klp_kernel_tainted_livepatch'), { legend: 'livepatch bit (K)' })),
    );

  b.withRow(row('Exporter', 38))
    .withPanel(
      new statetimeline.PanelBuilder()
        .title('Collector success')
        .description('Whether each collector succeeded in its last collection.')
        .datasource(DS)
        .unit('none')
        .gridPos(grid(0, 39, 12, 8))
        .showValue(common.VisibilityMode.Never)
        .mergeValues(true)
        .mappings([
          {
            type: dashboard.MappingType.ValueToText,
            options: { '0': { text: 'failed', color: 'red', index: 0 }, '1': { text: 'ok', color: 'green', index: 1 } },
          },
        ])
        .withTarget(target('A', hostMetric('klp_scrape_collector_success'), { legend: '{{collector}}' })),
    )
    .withPanel(
      timeSeriesPanel()
        .title('Collector duration')
        .description('Duration of the last collection per collector (cached collectors: the last refresh).')
        .datasource(DS)
        .unit('s')
        .min(0)
        .gridPos(grid(12, 39, 12, 8))
        .withTarget(target('A', hostMetric('klp_scrape_collector_duration_seconds'), { legend: '{{collector}}' })),
    )
    .withPanel(
      timeSeriesPanel()
        .title('Cached data age')
        .description('Seconds since the cached collectors (packages, klp, lifecycle) last refreshed successfully.')
        .datasource(DS)
        .unit('s')
        .min(0)
        .gridPos(grid(0, 47, 8, 8))
        .withTarget(target('A', `time() - ${hostMetric('klp_scrape_collector_last_success_timestamp_seconds')}`, { legend: '{{collector}}' })),
    )
    .withPanel(
      timeSeriesPanel()
        .title('Exporter CPU')
        .description('CPU used by the klp_exporter process.')
        .datasource(DS)
        .unit('percentunit')
        .min(0)
        .gridPos(grid(8, 47, 8, 8))
        .withTarget(target('A', `rate(process_cpu_seconds_total{${HOST}}[$__rate_interval])`, { legend: 'cpu' })),
    )
    .withPanel(
      timeSeriesPanel()
        .title('Exporter memory')
        .description('Resident memory of the klp_exporter process.')
        .datasource(DS)
        .unit('bytes')
        .min(0)
        .gridPos(grid(16, 47, 8, 8))
        .withTarget(target('A', `process_resident_memory_bytes{${HOST}}`, { legend: 'resident' })),
    );

  return b;
}
