#!/usr/bin/env bash
# Container smoke test without a registry or a Docker engine (Debian/Ubuntu build machine, run as root):
#
#   1. installs buildah, podman and debootstrap with apt if they are missing (they stay installed);
#   2. unless an image of that name already exists, makes a stand-in for the base image
#      registry.suse.com/bci/nodejs:22: a debootstrapped minimal Debian bookworm root with rpm and this
#      machine's node (the image build itself needs no npm and no network);
#   3. builds the bundle (scripts/bundle.mjs, with the checkout's revision), then the repository's Dockerfile
#      with `buildah bud --isolation=chroot --pull=never --format docker`;
#   4. runs the image's ENTRYPOINT with `buildah run` on a fixture host (test/fixtures mounted read-only),
#      listening on 127.0.0.1 only, as the image's non-root user, and checks /metrics and the HEALTHCHECK;
#      then lets the image's rpm meet an RPM database it cannot read (an ndb Packages.db, mounted read-only)
#      and checks that the packages collector fails and says so instead of reporting no packages;
#   5. removes everything it created: the process, the working container, the image, the stand-in base
#      (only if it made it; KEEP_BASE=1 keeps it for the next run) and its temporary directory.
#
# Usage: sudo scripts/container-smoke.sh        Environment: KLP_SMOKE_PORT (default 19155),
#        KLP_SMOKE_SCENARIO (default sles15sp6-patched), KEEP_BASE=1, DEBIAN_MIRROR.
# Not part of `npm test`: it needs root and takes a minute or two (debootstrap dominates).
set -euo pipefail

BASE=registry.suse.com/bci/nodejs:22
IMAGE=localhost/klp_exporter:smoke
PORT=${KLP_SMOKE_PORT:-19155}
SCENARIO=${KLP_SMOKE_SCENARIO:-sles15sp6-patched}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

t0=$(date +%s)
say() { printf '[container-smoke %3ss] %s\n' "$(( $(date +%s) - t0 ))" "$*"; }
die() { say "FAIL: $*"; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (debootstrap and buildah's storage need it)"
[ -d "$REPO/test/fixtures/hosts/$SCENARIO/root" ] || die "no fixture host test/fixtures/hosts/$SCENARIO"

WORK=$(mktemp -d /var/tmp/klp-container-smoke.XXXXXX)
made_base=0
ctr=
run_pid=
cleanup() {
  local rc=$?
  set +e
  if [ -n "$run_pid" ] && kill -0 "$run_pid" 2>/dev/null; then
    kill -TERM "$run_pid"
    for _ in $(seq 50); do kill -0 "$run_pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$run_pid" 2>/dev/null && kill -KILL "$run_pid"
  fi
  [ -n "$ctr" ] && buildah rm "$ctr" >/dev/null
  buildah rmi "$IMAGE" >/dev/null 2>&1
  if [ "$made_base" = 1 ] && [ "${KEEP_BASE:-0}" != 1 ]; then buildah rmi "$BASE" >/dev/null 2>&1; fi
  rm -rf "$WORK"
  say "cleaned up (exit $rc)"
  exit "$rc"
}
trap cleanup EXIT INT TERM

# 1. tools
missing=()
for tool in buildah podman debootstrap; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]} with apt"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >"$WORK/apt.log" 2>&1 \
    || { tail -20 "$WORK/apt.log"; die "apt-get install failed"; }
fi
say "$(buildah --version)"

# 2. stand-in base image
if buildah inspect --type image "$BASE" >/dev/null 2>&1; then
  say "base image $BASE exists; using it"
else
  say "debootstrap bookworm (minbase + rpm) as a stand-in for $BASE"
  debootstrap --variant=minbase --include=rpm,ca-certificates bookworm "$WORK/rootfs" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 \
    || { tail -20 "$WORK/debootstrap.log"; die "debootstrap failed"; }
  node_bin=$(readlink -f "$(command -v node)")
  install -m 0755 "$node_bin" "$WORK/rootfs/usr/bin/node"
  tar -C "$WORK/rootfs" -c . | podman import --change 'CMD ["node"]' - "$BASE" >"$WORK/import.log" 2>&1 \
    || { cat "$WORK/import.log"; die "podman import failed"; }
  rm -rf "$WORK/rootfs"
  made_base=1
  say "base ready: node $("$node_bin" --version)"
fi

# 3. build: the bundle on this machine (needs `npm ci` done), then the image from it, offline
REVISION=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)
(cd "$REPO" && KLP_REVISION="$REVISION" node scripts/bundle.mjs) || die "the bundle build failed (run npm ci first)"
say "buildah bud (chroot isolation, no pull, docker format)"
if ! buildah bud --isolation=chroot --pull=never --format docker \
      --build-arg VERSION=smoke --build-arg REVISION="$REVISION" \
      -t "$IMAGE" "$REPO" >"$WORK/build.log" 2>&1; then
  tail -30 "$WORK/build.log"; die "image build failed"
fi
grep -E 'STEP|COMMIT|Successfully' "$WORK/build.log" | sed 's/^/    /' | tail -30

config() { # field of the image's docker config, as JSON
  buildah inspect --type image "$IMAGE" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const c=JSON.parse(s).Docker.config??JSON.parse(s).Docker.Config??{};const v=c[process.argv[1]];console.log(typeof v==="string"?v:JSON.stringify(v))})' "$1"
}
user=$(config User)
entrypoint=$(config Entrypoint)
healthcheck=$(config Healthcheck)
say "image: user=$user entrypoint=$entrypoint healthcheck=$healthcheck"
[ -n "$user" ] && [ "${user%%:*}" != 0 ] && [ "${user%%:*}" != root ] || die "image runs as root"
[ "$entrypoint" = '["node","--max-semi-space-size=1","--lite-mode","--no-expose-wasm","/usr/lib/klp_exporter/klp_exporter.mjs"]' ] || die "unexpected entrypoint $entrypoint"

# 4. run on the fixture host
ctr=$(buildah from --pull=never "$IMAGE")
host=/fixtures/hosts/$SCENARIO
say "rpm in the image: $(buildah run --isolation=chroot "$ctr" -- rpm --version 2>&1), default database backend $(buildah run --isolation=chroot "$ctr" -- rpm --eval '%_db_backend' 2>&1)"
uid=$(buildah run --isolation=chroot "$ctr" -- node -e 'console.log(process.getuid())')
[ "$uid" = "${user%%:*}" ] || die "commands in the container run as uid $uid, expected ${user%%:*}"
say "starting the exporter as $user on 127.0.0.1:$PORT against fixture host $SCENARIO"
buildah run --isolation=chroot -v "$REPO/test/fixtures:/fixtures:ro" "$ctr" -- \
  node /usr/lib/klp_exporter/klp_exporter.mjs --web.listen-address="127.0.0.1:$PORT" \
  --path.rootfs="$host/root" --exec.path="$host/bin" \
  >"$WORK/run.log" 2>&1 &
run_pid=$!

ok=0
for _ in $(seq 150); do
  if curl -fsS "http://127.0.0.1:$PORT/-/healthy" >/dev/null 2>&1; then ok=1; break; fi
  kill -0 "$run_pid" 2>/dev/null || break
  sleep 0.2
done
[ "$ok" = 1 ] || { cat "$WORK/run.log"; die "exporter did not become healthy"; }

metrics=$(curl -fsS "http://127.0.0.1:$PORT/metrics")
grep -E '^klp_(livepatch_state|patch_active_version|scrape_collector_success|exporter_build_info)' <<<"$metrics" | sed 's/^/    /'
grep -q '^klp_livepatch_state{state="patched"} 1$' <<<"$metrics" || die "/metrics lacks klp_livepatch_state{state=\"patched\"} 1"
if grep -q '^klp_scrape_collector_success{collector="[a-z]*"} 0$' <<<"$metrics"; then die "a collector failed in the container"; fi
grep -q "^klp_exporter_build_info{.*revision=\"$REVISION\"" <<<"$metrics" || die "build_info does not carry revision $REVISION"

buildah run --isolation=chroot --env KLP_HEALTHCHECK_URL="http://127.0.0.1:$PORT/-/healthy" "$ctr" -- node /usr/lib/klp_exporter/healthcheck.mjs \
  || die "the image's HEALTHCHECK command failed"
say "HEALTHCHECK command: ok"
sed 's/^/    log: /' "$WORK/run.log" | head -5

# A host RPM database the image's rpm cannot read (an ndb Packages.db for a sqlite-only rpm), read-only like the
# host mount: the packages collector must fail and say why, never report "no live patch installed".
mkdir -p "$WORK/foreign/usr/lib/sysimage/rpm" "$WORK/foreign/etc"
head -c 65536 /dev/urandom >"$WORK/foreign/usr/lib/sysimage/rpm/Packages.db"
cp "$REPO/test/fixtures/hosts/$SCENARIO/root/etc/os-release" "$WORK/foreign/etc/os-release"
chmod -R a+rX "$WORK/foreign"
foreign=$(buildah run --isolation=chroot -v "$WORK/foreign:/host:ro" "$ctr" -- sh -c \
  'node /usr/lib/klp_exporter/klp_exporter.mjs --path.rootfs=/host --textfile.output=/tmp/klp.prom; cat /tmp/klp.prom' 2>&1 || true)
grep -E 'collector="packages"|packages' <<<"$foreign" | head -6 | sed 's/^/    /'
grep -q '^klp_scrape_collector_success{collector="packages"} 0$' <<<"$foreign" || die "an unreadable host RPM database did not fail the packages collector"
grep -qiE 'cannot open Packages database|unable to open .*database' <<<"$foreign" || die "the failure does not say that the RPM database cannot be opened"
[ "$(ls "$WORK/foreign/usr/lib/sysimage/rpm")" = Packages.db ] || die "rpm wrote into the host's database directory"
say "PASS: image built offline from the bundle, served the fixture host, failed loudly on an unreadable RPM database"
