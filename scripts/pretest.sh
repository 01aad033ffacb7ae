#!/usr/bin/env bash
# First step of `npm test` (npm's pretest hook): install the Debian tools the tests run for real
# (scripts/install-test-deps.sh, which does nothing when they are all there) when this machine can:
# apt-get, and root or sudo without a password. Otherwise say how, and let the tests run: each test
# that needs a missing tool fails naming it.
set -uo pipefail
cd "$(dirname "$0")/.."
if [ "${KLP_SKIP_TEST_DEPS:-}" = 1 ]; then exit 0; fi
if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-query >/dev/null 2>&1; then
  echo "pretest: not a Debian/Ubuntu machine: install promtool, prometheus, amtool, node_exporter, rpm/rpmbuild, openssl and wrk yourself (see scripts/install-test-deps.sh)"
  exit 0
fi
if [ "$(id -u)" -ne 0 ] && ! sudo -n true 2>/dev/null; then
  echo "pretest: cannot install packages without root: run 'sudo scripts/install-test-deps.sh' once"
  exit 0
fi
bash scripts/install-test-deps.sh || echo "pretest: scripts/install-test-deps.sh failed; the tests that need a missing tool will say which"
exit 0
