// The landing page at "/": name, version and a link to the metrics.

import type { BuildInfo } from '../build-info.js';

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function landingPage(info: BuildInfo, telemetryPath: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>klp_exporter</title></head>
<body>
<h1>klp_exporter</h1>
<p>Prometheus exporter for SUSE kernel live patching.</p>
<p>Version ${escape(info.version)} (revision ${escape(info.revision)})</p>
<ul>
<li><a href="${escape(telemetryPath.replace(/^\//, ''))}">Metrics</a></li>
<li><a href="-/healthy">Health</a></li>
</ul>
</body>
</html>
`;
}
