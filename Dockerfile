# One image for every app; the compose file picks the entry point.
# Node 22 LTS: Node 20 reached its end of life in April 2026, and AWS SDK releases from January
# 2027 on need 22 (each process warns of it on 20). The code still runs on 20, where CI runs.
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY . .
RUN npm ci && npm prune --omit=dev

FROM node:22-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app /app
USER node
CMD ["node", "apps/ingest/dist/main.js"]
