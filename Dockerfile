# The pgtestbed CLI as an image: a migrate job for docker compose and Kubernetes.
#
#   npx pnpm --filter @pgtestbed/core build      # the image installs the built package
#   docker build -t pgtestbed:0.1.0 .
#   docker run --rm -v "$PWD/migrations:/migrations:ro" \
#     -e PGTESTBED_URL=postgres://app:secret@db:5432/app pgtestbed:0.1.0 up --wait 60s
#
# Runs `pgtestbed up` by default, as uid 10001 (not root), on the migrations in /migrations (the
# working folder is /, so `./migrations` is /migrations for every command; `--dir` or a config
# file mounted with the migrations chooses others). The database comes from PGTESTBED_URL or
# `--url`. No PostgreSQL binaries: @pgtestbed/core alone. Exit codes: 0 up to date, 1 failed
# (the log names the file, line and statement), 2 wrong usage; `status --check`: 3 pending.
#
# NODE_IMAGE: the Node.js base (20.19 or later). Anything with node and npm works; CI builds one
# without a registry (.ci/docker/node-image.sh).
ARG NODE_IMAGE=node:22-alpine

FROM ${NODE_IMAGE} AS install
WORKDIR /build
COPY packages/core/package.json packages/core/README.md core/
COPY packages/core/bin core/bin
COPY packages/core/dist core/dist
# --install-links installs the folder as npm would a packed tarball (a copy, dependencies only).
# npm's cache stays in this stage, which the image does not keep.
RUN npm install --global --prefix /opt/pgtestbed --install-links --omit=dev \
      --no-audit --no-fund --update-notifier=false --loglevel=error ./core

FROM ${NODE_IMAGE}
COPY --from=install /opt/pgtestbed /opt/pgtestbed
ENV PATH=/opt/pgtestbed/bin:$PATH \
    NODE_ENV=production \
    PGTESTBED_CACHE_DIR=/tmp/pgtestbed
WORKDIR /
USER 10001:10001
ENTRYPOINT ["pgtestbed"]
CMD ["up"]
