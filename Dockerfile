# One image for the three long-running parts of phasegate; the command picks the part:
#   docker run phasegate:local worker     (default) case workflows + SIR activities
#   docker run phasegate:local server     webhook + approval API on :8080
#   docker run phasegate:local sandbox    the local SIR emulator on :4566
#
# Temporal's native bridge (@temporalio/core-bridge) ships glibc builds only: no Alpine/musl base.
# test/deploy/image-build.test.ts runs this file's build-stage RUN lines outside Docker, so keep
# each build step a plain shell command (no heredocs, no BuildKit-only flags).

# The Node.js LTS line phasegate supports; package.json engines, @types/node, scripts/lts-node.sh (the
# Node CI runs the suite on) and the README name the same major (test/deploy/node-runtime.test.ts).
ARG NODE_IMAGE=node:22-bookworm-slim

# ---- build: compile TypeScript, pre-bundle the workflows, drop dev dependencies ----------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app

# Dependencies first, so they stay cached while only sources change. `npm install` (not `npm ci`)
# installs exactly what package-lock.json pins, but does not fail when the registry mirror lacks
# other platforms' optional @swc/core binaries, which the lock file then cannot list. (No BuildKit
# cache mount: the classic builder, which docker-compose v1 uses, would refuse the Dockerfile.)
COPY package.json package-lock.json ./
RUN npm install --no-audit --no-fund

COPY . .
RUN npm run build
RUN npm run bundle:workflows
# After this tsx (a devDependency) is gone, so bin/phasegate.js runs dist/ rather than the sources.
RUN npm prune --omit=dev --no-audit --no-fund

# ---- runtime ------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime

ENV NODE_ENV=production \
    PHASEGATE_WORKFLOW_BUNDLE=/app/dist/workflow-bundle.js \
    PHASEGATE_PLAYBOOKS=/app/playbooks \
    PHASEGATE_HOST=0.0.0.0 \
    PHASEGATE_SANDBOX_HOST=0.0.0.0

# A fixed non-root uid, so volumes and Kubernetes securityContext (runAsUser: 10001) line up.
# /var/lib/phasegate is the one writable place (the sandbox's state file in docker-compose).
RUN groupadd --system --gid 10001 phasegate \
 && useradd --system --uid 10001 --gid 10001 --home-dir /app --no-create-home --shell /usr/sbin/nologin phasegate \
 && mkdir -p /var/lib/phasegate \
 && chown 10001:10001 /var/lib/phasegate

WORKDIR /app
# Owned by root and read-only for the service user: the process cannot rewrite its own code.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
COPY --from=build /app/playbooks ./playbooks

USER 10001:10001
EXPOSE 8080 4566

# No HEALTHCHECK here: only the server has an HTTP health route (GET /healthz), so docker-compose
# declares the check per service.
ENTRYPOINT ["node", "/app/bin/phasegate.js"]
CMD ["worker"]
