#!/usr/bin/env bash
# `npm run rpm`: build prometheus-klp_exporter-<version>-<release>.noarch.rpm with rpmbuild from
# packaging/rpm/prometheus-klp_exporter.spec. `npm run rpm` makes the bundle first (scripts/bundle.mjs).
#
# The spec's two sources, as OBS gets them:
#   klp_exporter-<version>.tar.gz   the release tarball: the checkout's files (git ls-files: tracked and
#                                   new, not ignored), or the current directory's files outside git
#   klp_exporter.mjs                the single-file build (build/klp_exporter.mjs, or $KLP_BUNDLE)
# Nothing is downloaded. Outside SUSE (no rpm database of the build tools, e.g. Debian's rpmbuild) the
# build dependencies are not checked (--nodeps); the spec's %check still runs the bundle with `node`.
#
# Environment: KLP_RPM_RELEASE (default 0), KLP_RPM_OUTDIR (default build/rpm), KLP_BUNDLE.
# Prints the path of the RPM on its last line.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
SPEC=packaging/rpm/prometheus-klp_exporter.spec
VERSION=$(node -p 'JSON.parse(require("fs").readFileSync("package.json","utf8")).version')
RELEASE=${KLP_RPM_RELEASE:-0}
OUTDIR=${KLP_RPM_OUTDIR:-$ROOT/build/rpm}
BUNDLE=${KLP_BUNDLE:-$ROOT/build/klp_exporter.mjs}

command -v rpmbuild >/dev/null || { echo "build-rpm: rpmbuild not found (Debian/Ubuntu: apt-get install rpm; SUSE: zypper install rpm-build)" >&2; exit 1; }
[ -f "$BUNDLE" ] || { echo "build-rpm: $BUNDLE is missing: run npm run bundle first (npm run rpm does)" >&2; exit 1; }
spec_version=$(sed -n 's/^Version:[[:space:]]*//p' "$SPEC")
[ "$spec_version" = "$VERSION" ] || { echo "build-rpm: $SPEC has Version $spec_version, package.json $VERSION" >&2; exit 1; }

top=$(mktemp -d "${TMPDIR:-/tmp}/klp-rpmbuild.XXXXXX")
trap 'rm -rf "$top"' EXIT
mkdir -p "$top"/{SOURCES,SPECS,BUILD,BUILDROOT,RPMS,SRPMS}

# Release tarball, top directory klp_exporter-<version>/.
stage="$top/stage/klp_exporter-$VERSION"
mkdir -p "$stage"
if git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  git -C "$ROOT" ls-files -z --cached --others --exclude-standard \
    | while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done \
    | tar -C "$ROOT" --null -T - -cf - | tar -C "$stage" -xf -
else
  tar -C "$ROOT" --exclude=./node_modules --exclude=./build --exclude=./dist -cf - . | tar -C "$stage" -xf -
fi
tar -C "$top/stage" --owner=0 --group=0 --sort=name -czf "$top/SOURCES/klp_exporter-$VERSION.tar.gz" "klp_exporter-$VERSION"
cp "$BUNDLE" "$top/SOURCES/klp_exporter.mjs"
cp "$SPEC" "$top/SPECS/"

rpmbuild -bb --nodeps \
  --define "_topdir $top" \
  --define "klp_release $RELEASE" \
  "$top/SPECS/prometheus-klp_exporter.spec" >"$top/rpmbuild.log" 2>&1 || { cat "$top/rpmbuild.log" >&2; exit 1; }

rpm_file="$top/RPMS/noarch/prometheus-klp_exporter-$VERSION-$RELEASE.noarch.rpm"
[ -f "$rpm_file" ] || { cat "$top/rpmbuild.log" >&2; echo "build-rpm: rpmbuild made no $rpm_file" >&2; exit 1; }
mkdir -p "$OUTDIR"
cp "$rpm_file" "$OUTDIR/"
out="$OUTDIR/$(basename "$rpm_file")"
echo "build-rpm: $(rpm -qp --qf '%{NAME}-%{VERSION}-%{RELEASE}.%{ARCH}' "$out"): $(stat -c %s "$out") bytes, $(rpm -qlp "$out" | wc -l) files" >&2
echo "$out"
