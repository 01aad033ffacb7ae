/**
 * klp_exporter's HTTP security layer (TLS, mTLS, basic auth, timeouts, connection limits), independent of the
 * collectors.
 *
 * Typical use (see main.ts):
 *
 *   import { createWebServer, LiveWebConfig, loadWebConfig } from './web/index.js';
 *   const file = config.web.configFile;                        // --web.config.file
 *   const web = new LiveWebConfig(file ? loadWebConfig(file) : undefined); // throws WebConfigError
 *   const server = createWebServer(app, web, { log });          // http or https; headers + basic auth applied
 *   server.listen(port, host);
 *   process.on('SIGHUP', () => web.reload(file));               // throws and keeps the old one when broken
 *
 * `--config.check` can call loadWebConfig too. The basic-auth middleware is exported for apps that want to mount
 * it themselves (then pass `{ auth: false }` to createWebServer); several servers of one exporter share
 * one protectedHandler(app, web, { log }), each created with `{ auth: false }`.
 */
export { loadWebConfig, parseWebConfig, loadTlsMaterial, WebConfigError, MAX_BCRYPT_COST, CLIENT_AUTH_TYPES, type WebConfig, type TlsServerConfig, type TlsMaterial, type ClientAuthType } from './web-config.js';
export { basicAuthMiddleware, securityHeadersMiddleware, parseBasicAuth, REALM, type BasicAuthOptions, type Middleware, type WebConfigSource } from './basic-auth.js';
export { createWebServer, listenError, protectedHandler, tlsServerOptions, type WebServerOptions } from './server.js';
export { LiveWebConfig } from './live-config.js';
export { connectionLimitFor, openFilesLimit, NODE_CHECK_RARELY_MS } from './connections.js';
