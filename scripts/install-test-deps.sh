#!/usr/bin/env bash
# Install the Debian tools the test suite runs for real: promtool and prometheus (prometheus),
# amtool (prometheus-alertmanager), node_exporter (prometheus-node-exporter), rpm and rpmbuild
# (rpm; `npm run rpm` and its test), rpm2archive (rpm2cpio; unpacks the built RPM), rpmlint (checks it), systemd-analyze
# (systemd; verifies the units), python3-jinja2 (renders the Salt state example), openssl, wrk
# (benchmarks), createrepo_c and modifyrepo_c (createrepo-c; the zypp repository fixtures), zstd and
# xz (compressed metadata fixtures), python3 (the MemoryDenyWriteExecute test's prctl helper) and
# util-linux (unshare, setsid). Needs root (or sudo). Safe to run again.
set -euo pipefail

packages=(prometheus prometheus-alertmanager prometheus-node-exporter rpm rpm2cpio rpmlint systemd python3-jinja2 openssl wrk createrepo-c zstd xz-utils python3 util-linux)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-test-deps: all present (${packages[*]})"
  exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "install-test-deps: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
