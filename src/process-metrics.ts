// process_* and nodejs_* metrics: prom-client's default metrics, computed when scraped, without
// the one that keeps a timer running.
//
// collectDefaultMetrics() also starts perf_hooks.monitorEventLoopDelay(), a libuv timer that
// wakes the process every 10 ms (eventLoopMonitoringPrecision) whether anyone scrapes or not,
// and computes stddev and percentiles of its histogram on every scrape: most of what the
// exporter cost an idle host (docs/benchmarks.md). So the default metrics are registered one by
// one, each with prom-client's own module (the modules collectDefaultMetrics() runs), all but
// eventLoopLag; nodejs_eventloop_lag_seconds keeps its name and meaning (how long the event loop
// takes to come round, measured when scraped) as a gauge whose collect() measures it. The
// nodejs_eventloop_lag_{min,max,mean,stddev,p50,p90,p99}_seconds summaries of the timer are gone.

import { Gauge, Registry } from 'prom-client';
import gc from 'prom-client/lib/metrics/gc.js';
import heapSizeAndUsed from 'prom-client/lib/metrics/heapSizeAndUsed.js';
import heapSpacesSizeAndUsed from 'prom-client/lib/metrics/heapSpacesSizeAndUsed.js';
import osMemoryHeap from 'prom-client/lib/metrics/osMemoryHeap.js';
import processCpuTotal from 'prom-client/lib/metrics/processCpuTotal.js';
import processHandles from 'prom-client/lib/metrics/processHandles.js';
import processMaxFileDescriptors from 'prom-client/lib/metrics/processMaxFileDescriptors.js';
import processOpenFileDescriptors from 'prom-client/lib/metrics/processOpenFileDescriptors.js';
import processRequests from 'prom-client/lib/metrics/processRequests.js';
import processResources from 'prom-client/lib/metrics/processResources.js';
import processStartTime from 'prom-client/lib/metrics/processStartTime.js';
import version from 'prom-client/lib/metrics/version.js';

/** The order collectDefaultMetrics() registers them in, eventLoopLag replaced. */
const DEFAULT_METRICS = [
  processCpuTotal,
  processStartTime,
  osMemoryHeap,
  processOpenFileDescriptors,
  processMaxFileDescriptors,
  eventLoopLagWhenScraped,
  processResources,
  processHandles,
  processRequests,
  heapSizeAndUsed,
  heapSpacesSizeAndUsed,
  version,
  gc,
];

/** nodejs_eventloop_lag_seconds: time until the event loop reaches its check phase, measured by the scrape. */
function eventLoopLagWhenScraped(registry: Registry): void {
  new Gauge({
    name: 'nodejs_eventloop_lag_seconds',
    help: 'Lag of event loop in seconds.',
    registers: [registry],
    async collect() {
      const start = process.hrtime.bigint();
      await new Promise((resolve) => setImmediate(resolve));
      this.set(Number(process.hrtime.bigint() - start) / 1e9);
    },
  });
}

/** A registry of the process metrics, computed on each call of its metrics(). */
export function processMetricsRegistry(): Registry {
  const registry = new Registry();
  for (const register of DEFAULT_METRICS) register(registry, {});
  return registry;
}
