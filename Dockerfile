# One image for the worker (default command), the HTTP trigger and the codec server of
# docker-compose.yml. There is no Docker engine where this repository is tested:
# test/deploy/compose.test.ts checks that the commands below are the ones `npm run build` produces
# and the package.json scripts run.

# Build: `npm run build` is tsc, then the workflow bundle (dist/workflow-bundle.js), so the worker
# starts from the prebuilt bundle instead of running webpack at every start.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

# Runtime: production dependencies only, and the compiled code with its bundle.
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
# COPY keeps the files' times, so the bundle stays newer than the compiled workflows and is used.
COPY --from=build /app/dist ./dist
# .data/ holds the trigger's SNS certificate cache (SNS_CERT_CACHE_DIR); the rest is read-only.
RUN mkdir -p .data && chown node:node .data
USER node
# `npm run worker` without its build step; the trigger is `node dist/src/trigger/main.js` and the
# codec server `node dist/src/codec/server.js` (docker-compose.yml).
CMD ["node", "dist/src/worker/main.js"]
