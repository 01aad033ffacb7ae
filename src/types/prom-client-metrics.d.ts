// prom-client's default metrics, one module each (lib/metrics/*.js, what collectDefaultMetrics()
// runs): each registers its metrics in the registry it is given. See src/process-metrics.ts.
declare module 'prom-client/lib/metrics/*.js' {
  import type { Registry } from 'prom-client';
  const register: (registry: Registry, config: { prefix?: string; labels?: Record<string, string> }) => void;
  export default register;
}
