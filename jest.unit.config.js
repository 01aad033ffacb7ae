// `npm run test:unit`: the tests that need no build and none of the monitoring or packaging tools
// (promtool, Prometheus, rpm, rpmbuild, createrepo_c, systemd-analyze, wrk …): parsers,
// configuration, collectors and the scraper on fixture hosts in this process, the status, the
// expiry decision, the alert and dashboard sources. Well under a minute. They do run these
// commands: node, sh, ps, coreutils (sleep, head, yes, mkfifo) and setsid, and openssl (test
// certificates of the web config tests), zstd and xz (compressed repository metadata).
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
