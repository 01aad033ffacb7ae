/** Every generated file, keyed by its path relative to the repository root. */
import { config } from './config.js';
import { fleetDashboard } from './fleet.js';
import { hostDashboard } from './host.js';
import { renderRules } from '../alerts/rules.js';

/** Dashboard JSON as Grafana imports it (a JSON round-trip drops the builders' functions). */
export function dashboardJson(builder: { build(): unknown }): string {
  const d = JSON.parse(JSON.stringify(builder.build())) as { panels: { id?: number }[] };
  // Stable panel ids in layout order (Grafana uses them in panel links and viewPanel URLs).
  d.panels.forEach((p, i) => (p.id = i + 1));
  return JSON.stringify(d, null, 2) + '\n';
}

export function outputs(): Map<string, string> {
  return new Map([
    ['alerts/klp.rules.yml', renderRules()],
    [`dashboards/${config.dashboards.fleet.file}`, dashboardJson(fleetDashboard())],
    [`dashboards/${config.dashboards.host.file}`, dashboardJson(hostDashboard())],
  ]);
}
