// `npm run test:unit`: the tests that need no external tool (promtool, Prometheus, rpm, openssl,
// wrk …; only node, /bin/sh and ps, which every Linux has) and no build: parsers, configuration, collectors and the scraper on fixture hosts in this
// process, the status, the expiry decision, the alert and dashboard sources. Well under a minute.
// `npm test` runs everything.

import base from './jest.config.js';

/** @type {import('jest').Config} */
export default {
  ...base,
  testMatch: [
    '<rootDir>/test/{parsers,config,scrape,systems,host}/**/*.test.ts',
    '<rootDir>/test/status-*.test.ts',
    '<rootDir>/test/hostile/{parsers.property,config.property,patch-race}.test.ts',
    '<rootDir>/test/alerts/generated.test.ts',
    '<rootDir>/test/security/static.test.ts',
    '<rootDir>/test/web/{basic-auth,web-config}.test.ts',
  ],
};
