# syntax=docker/dockerfile:1
#
# One image for the four Attune services and the migrate one-shot. The command picks the service:
#
#   docker build -t attune:local .
#   docker run --rm attune:local node dist/apps/api/migrate.js        # create the database, apply migrations
#   docker run -p 8080:8080 attune:local                              # api (the default command)
#   docker run attune:local node dist/apps/executor/main.js           # executor        (:8081 health/metrics)
#   docker run attune:local node dist/apps/artifact-store/main.js     # artifact-store  (:8082)
#   docker run attune:local node dist/apps/worker/main.js             # worker          (:8083)
#
# docker-compose.yml builds this image once and runs it five ways. Health checks are defined
# there, per service (GET /health on each service's own port); this file has no HEALTHCHECK
# because the port differs per service.
#
# There is ONE runtime image, not a separate worker target: the worker runs actions, which need
# /bin/sh, python3 and curl. Giving those to the other services too costs about 40 MB and keeps
# the build, the compose file and the release process simple (one image to build, scan, ship).
#
# Node >= 20.19 is required: NestJS 12 is ESM-only and the CommonJS bundles load it through
# require(esm).

ARG NODE_IMAGE=node:20.20-bookworm-slim

# ---------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS base
WORKDIR /app
ENV NX_DAEMON=false \
    NX_NO_CLOUD=true \
    npm_config_update_notifier=false

# ---------------------------------------------------------------------------------------------
# Every dependency, for the build.
#
# `npm install`, never `npm ci`: this registry lacks some non-Linux optional binaries, so the
# committed lockfile leaves them out and `npm ci` rejects it (docs toolchain, pitfall 1). With the
# lockfile present, `npm install` installs the locked versions.
#
# --ignore-scripts: package.json's "allowScripts" denies every dependency install script (nx,
# @swc/core, @parcel/watcher, @scarf/scarf telemetry) and none of them is needed. npm 11 honours
# that list; the npm 10 bundled with this Node image does not, so say it explicitly.
FROM base AS deps
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm,sharing=locked \
    npm install --no-audit --no-fund --ignore-scripts

# ---------------------------------------------------------------------------------------------
# Production dependencies only, for the runtime image (the bundles keep node_modules external).
FROM base AS prod-deps
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm,sharing=locked \
    npm install --omit=dev --no-audit --no-fund --ignore-scripts

# ---------------------------------------------------------------------------------------------
# Webpack bundles: dist/apps/<name>/main.js, plus dist/apps/api/migrate.js; the web UI (vite) in
# dist/apps/web, which the api serves at /.
FROM deps AS build
COPY . .
RUN npx nx run-many -t build --projects=api,executor,worker,artifact-store,web --outputStyle=static

# ---------------------------------------------------------------------------------------------
FROM base AS runtime
# tini is PID 1: it forwards SIGTERM to node (which closes consumers and drains in-flight work)
# and reaps the worker's orphaned action processes. python3 and curl are for the worker's actions;
# python3-venv builds the virtualenvs of packs with a requirements.txt (npm comes with node).
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini python3 python3-venv curl ca-certificates \
 && rm -rf /var/lib/apt/lists/*

ENV NODE_ENV=production \
    ATTUNE_ENV=production

COPY package.json ./
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The example pack (workflows), registered by the api at startup when not in production
# (ATTUNE_EXAMPLES); kept outside packs/ so that mounting packs there does not hide it.
COPY packs/examples ./share/packs/examples
ENV ATTUNE_EXAMPLES_DIR=/app/share/packs/examples

# var/ is the root of the embedded `fs` blob driver (ATTUNE_STORAGE_FS_ROOT, default /app/var/blobs);
# packs/ is where the worker looks for pack scripts (ATTUNE_PACKS_DIR, default /app/packs: mount
# your packs there). The worker's per-execution directories go to /tmp/attune-work.
RUN mkdir -p /app/var/blobs /app/packs \
 && chown -R node:node /app/var

# The `node` user (uid 1000) of the official image: nothing runs as root.
USER node

# api 8080, executor 8081, artifact-store 8082, worker 8083 (each serves /health and /metrics).
EXPOSE 8080 8081 8082 8083

ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "--enable-source-maps", "dist/apps/api/main.js"]
