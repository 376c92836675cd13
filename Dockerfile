# roomcal production image. Build stage: every dependency, generate, compile,
# prune (scripts/build-production.sh, the same script the tests run). Runtime
# stage: node, the compiled server, its runtime dependencies and migrations,
# as a non-root user.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY prisma ./prisma
COPY prisma.config.ts tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
# The room page client, built by `npm ci` (postinstall: build:web) from its typed operations.
COPY codegen.ts schema.graphql ./
COPY web ./web
RUN sh scripts/build-production.sh

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=4000 \
    DATA_DIR=/data
WORKDIR /app
COPY --from=build --chown=root:root /app/package.json ./
COPY --from=build --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
COPY --from=build --chown=root:root /app/web/dist ./web/dist
COPY --from=build --chown=root:root /app/prisma ./prisma
# The embedded PGlite database and generated development keys live in /data;
# mount a volume there (or use DATABASE_URL and keys from the environment).
RUN mkdir /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 4000
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:' + (process.env.PORT || 4000) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
# node as PID 1 receives SIGTERM itself (no npm or shell in between) and stops gracefully.
CMD ["node", "dist/main.js"]
