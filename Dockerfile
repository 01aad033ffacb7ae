# klp_exporter container image.
#
#   podman build --format docker -t klp_exporter .        (docker format keeps the HEALTHCHECK)
#   docker build -t klp_exporter .
#
# Runtime base: SUSE BCI Node.js, which ships rpm, so `rpm --root /host` can read a SLES host's RPM database.
# See docs/operations.md for how to run it (host root mounted read-only at /host, --path.rootfs=/host).
ARG BASE_IMAGE=registry.suse.com/bci/nodejs:22

FROM ${BASE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
ARG REVISION=unknown
# klp_exporter_build_info{revision} comes from a REVISION file beside package.json.
RUN npm run build && npm prune --omit=dev --no-audit --no-fund && printf '%s\n' "${REVISION}" > REVISION

FROM ${BASE_IMAGE}
ARG VERSION=dev
ARG REVISION=unknown
LABEL org.opencontainers.image.title="klp_exporter" \
      org.opencontainers.image.description="Prometheus exporter for SUSE Linux Enterprise kernel live patching" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.base.name="registry.suse.com/bci/nodejs:22"
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /src/package.json /src/REVISION ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY packaging/container/healthcheck.mjs ./healthcheck.mjs
# Numeric non-root user: no passwd entry needed; the host's RPM database and sysfs are world-readable.
USER 10055:10055
EXPOSE 10055
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 CMD ["node", "/app/healthcheck.mjs"]
# Node flags as in packaging/systemd/klp_exporter.service (docs/benchmarks.md, per-host cost).
ENTRYPOINT ["node", "--max-semi-space-size=1", "--lite-mode", "/app/dist/main.js"]
CMD ["--web.listen-address=0.0.0.0:10055"]
