# syntax=docker/dockerfile:1

# ---- build: compiler toolchain for native modules (better-sqlite3, argon2) lives only here.
FROM node:20-bookworm-slim AS build
# Prebuilt binaries usually download; the toolchain is the fallback when none fits.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# Manifests first so the dependency layer is cached across source changes.
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY bin ./bin
COPY public ./public
RUN npm run build \
 && npm prune --omit=dev

# ---- runtime: same base (same glibc) so the compiled modules load, no compilers.
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    PORT=8000 \
    DATA_DIR=/data
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
# Static files served as they are (the embed widget's script).
COPY --from=build /app/public ./public
# Created before VOLUME so a fresh named volume inherits the node user's ownership.
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]
USER node
EXPOSE 8000
CMD ["node", "dist/server.js"]
