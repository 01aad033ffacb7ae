/**
 * klp_exporter's HTTP security layer (TLS, mTLS, basic auth, timeouts), independent of the collectors.
 *
 * Typical use in main.ts:
 *
 *   import { loadWebConfig, createWebServer, WebConfigError } from './web/index.js';
 *   const webConfig = flags.webConfigFile ? loadWebConfig(flags.webConfigFile) : undefined; // throws WebConfigError
 *   const server = createWebServer(app, webConfig);   // http or https; headers + basic auth already applied
 *   server.listen(port, host);
 *
 * `--config.check` can call loadWebConfig too. The basic-auth middleware is exported for apps that want to mount
 * it themselves (then pass `{ auth: false }` to createWebServer).
 */
export {
  loadWebConfig,
  parseWebConfig,
  loadTlsMaterial,
  WebConfigError,
  MAX_BCRYPT_COST,
  CLIENT_AUTH_TYPES,
  type WebConfig,
  type TlsServerConfig,
  type TlsMaterial,
  type ClientAuthType,
} from './web-config.js';
export {
  basicAuthMiddleware,
  securityHeadersMiddleware,
  parseBasicAuth,
  REALM,
  type BasicAuthOptions,
  type Middleware,
  type WebConfigSource,
} from './basic-auth.js';
export { createWebServer, tlsServerOptions, type WebServerOptions } from './server.js';
