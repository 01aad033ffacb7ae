/** Shared building blocks for the klp_exporter dashboards (grafana-foundation-sdk builders). */
import * as cog from '@grafana/grafana-foundation-sdk/cog';
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import { config } from './config.js';

/** Every panel, target and variable queries the data source chosen in the `datasource` variable. */
export const DS = { type: 'prometheus', uid: '${datasource}' };

/** Matchers every raw-metric query carries (dashboard-linter: job and instance matchers). */
export const HOST = 'job=~"$job", instance=~"$instance"';
/** Matcher for recording rules, which aggregate the instance label away. */
export const JOB = 'job=~"$job"';

/** `metric{job=~"$job", instance=~"$instance", ...extra}` */
export function hostMetric(metric: string, ...extra: string[]): string {
  return `${metric}{${[HOST, ...extra].join(', ')}}`;
}

export interface TargetOptions {
  legend?: string;
  /** Instant query (stat and table panels). */
  instant?: boolean;
  /** Table format (one row per series, labels as columns). */
  table?: boolean;
}

export function target(refId: string, expr: string, opts: TargetOptions = {}): prometheus.DataqueryBuilder {
  const t = new prometheus.DataqueryBuilder().refId(refId).expr(expr).datasource(DS);
  if (opts.legend !== undefined) t.legendFormat(opts.legend);
  if (opts.instant) t.instant();
  else t.range();
  if (opts.table) t.format(prometheus.PromQueryFormat.Table);
  return t;
}

export function grid(x: number, y: number, w: number, h: number): dashboard.GridPos {
  return { x, y, w, h };
}

export function thresholds(...steps: [number | null, string][]): dashboard.ThresholdsConfigBuilder {
  return new dashboard.ThresholdsConfigBuilder().mode(dashboard.ThresholdsMode.Absolute).steps(steps.map(([value, color]) => ({ value, color })));
}

export const lastValue = new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false);

/** datasource, job and instance variables (dashboard-linter's template rules). */
export function variables(instance: { multi: boolean }): cog.Builder<dashboard.VariableModel>[] {
  const datasource = new dashboard.DatasourceVariableBuilder('datasource').label('Data source').type('prometheus');
  const job = new dashboard.QueryVariableBuilder('job')
    .label('Job')
    .datasource(DS)
    .query('label_values(klp_exporter_build_info, job)')
    .definition('label_values(klp_exporter_build_info, job)')
    .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
    .sort(dashboard.VariableSort.AlphabeticalAsc)
    .current({ text: 'klp', value: 'klp' });
  const inst = new dashboard.QueryVariableBuilder('instance')
    .label('Instance')
    .datasource(DS)
    .query('label_values(klp_exporter_build_info{job=~"$job"}, instance)')
    .definition('label_values(klp_exporter_build_info{job=~"$job"}, instance)')
    .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
    .sort(dashboard.VariableSort.AlphabeticalAsc);
  if (instance.multi) inst.multi(true).includeAll(true).allValue('.*').current({ text: 'All', value: '$__all' });
  return [datasource, job, inst];
}

/** Link to the other klp dashboards (by tag), keeping the time range and variables. */
export function dashboardLinks(): dashboard.DashboardLinkBuilder {
  return new dashboard.DashboardLinkBuilder('KLP dashboards')
    .type(dashboard.DashboardLinkType.Dashboards)
    .tags([config.dashboardTag])
    .asDropdown(false)
    .includeVars(true)
    .keepTime(true)
    .targetBlank(false)
    .icon('external link')
    .tooltip('');
}

export function baseDashboard(d: { uid: string; title: string }, description: string): dashboard.DashboardBuilder {
  return new dashboard.DashboardBuilder(d.title)
    .uid(d.uid)
    .description(description)
    .tags([config.dashboardTag, 'livepatch'])
    .readonly()
    .timezone('utc')
    .time({ from: 'now-24h', to: 'now' })
    .refresh('1m')
    .annotations([
      // Grafana's own annotations and alert events, as in every new dashboard.
      new dashboard.AnnotationQueryBuilder()
        .name('Annotations & Alerts')
        .datasource({ type: 'grafana', uid: '-- Grafana --' })
        .enable(true)
        .hide(true)
        .iconColor('rgba(0, 211, 255, 1)')
        .type('dashboard')
        .builtIn(1),
    ])
    .link(dashboardLinks());
}

/** URL of the host dashboard for one instance, keeping data source, job and time range. */
export function hostDashboardUrl(instanceExpr: string): string {
  const h = config.dashboards.host;
  return `/d/${h.uid}?\${datasource:queryparam}&\${job:queryparam}&var-instance=${instanceExpr}&\${__url_time_range}`;
}

/** A time series panel with a visible legend and a shared tooltip. */
export function timeSeriesPanel(): timeseries.PanelBuilder {
  return new timeseries.PanelBuilder()
    .legend(new common.VizLegendOptionsBuilder().showLegend(true).displayMode(common.LegendDisplayMode.List).placement(common.LegendPlacement.Bottom).calcs([]))
    .tooltip(new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi).sort(common.SortOrder.None));
}
