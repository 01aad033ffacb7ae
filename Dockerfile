# klp_exporter container image, built offline from the single-file build (no npm, no registry in the build):
#
#   npm ci && npm run bundle                                   # build/klp_exporter.mjs (on any build machine)
#   podman build --format docker -t klp_exporter .             # docker format keeps the HEALTHCHECK
#   docker build -t klp_exporter .
#
# Runtime base: SUSE BCI Node.js, which ships rpm, so `rpm --root /host` can read a SLES host's RPM database.
# Which host database formats its rpm reads, and how to run the image (host root mounted read-only at /host,
# --path.rootfs=/host, SELinux): docs/operations.md ("Container").
ARG BASE_IMAGE=registry.suse.com/bci/nodejs:22

FROM ${BASE_IMAGE}
# Labels only: the version and revision the program reports are stamped into the bundle by `npm run bundle`.
ARG VERSION=dev
ARG REVISION=unknown
LABEL org.opencontainers.image.title="klp_exporter" \
      org.opencontainers.image.description="Prometheus exporter for SUSE Linux Enterprise kernel live patching" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.base.name="registry.suse.com/bci/nodejs:22"
ENV NODE_ENV=production
COPY build/klp_exporter.mjs /usr/lib/klp_exporter/klp_exporter.mjs
COPY packaging/container/healthcheck.mjs /usr/lib/klp_exporter/healthcheck.mjs
# Numeric non-root user: no passwd entry needed; the host's RPM database and sysfs are world-readable.
USER 10055:10055
EXPOSE 10055
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 CMD ["node", "/usr/lib/klp_exporter/healthcheck.mjs"]
# Node flags as in packaging/systemd/prometheus-klp_exporter.service (docs/benchmarks.md, per-host cost).
ENTRYPOINT ["node", "--max-semi-space-size=1", "--lite-mode", "--no-expose-wasm", "/usr/lib/klp_exporter/klp_exporter.mjs"]
CMD ["--web.listen-address=0.0.0.0:10055"]
