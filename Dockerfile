# One image for every app (the last stage, `cpu`, the default); the compose file picks the entry
# point. The `gpu` target is the same app on NVIDIA's CUDA runtime, for workers that classify on a
# GPU: `docker build --target gpu .`
# Node 22 LTS: Node 20 reached its end of life in April 2026, and AWS SDK releases from January
# 2027 on need 22 (each process warns of it on 20). The code still runs on 20, where CI runs.
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY . .
RUN npm ci && npm prune --omit=dev

# ONNX Runtime's CUDA provider comes from the npm registry (a mirror will do), as on any host:
# `gpu install` refuses a release built for another ONNX Runtime and checks the pinned integrity.
# It needs CUDA 13 and cuDNN 9, which the runtime image below provides.
FROM build AS build-gpu
RUN node apps/cli/bin/pneumoscreen.js gpu install

FROM nvidia/cuda:13.0.0-cudnn-runtime-ubuntu24.04 AS gpu
COPY --from=build-gpu /usr/local/bin/node /usr/local/bin/node
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build-gpu /app /app
# Ubuntu's own unprivileged user (uid 1000, as `node` is in the cpu image).
USER ubuntu
# onnxruntime-cuda refuses to start without a GPU rather than classify on the CPU unnoticed.
ENV ENGINE=onnxruntime-cuda
CMD ["node", "apps/gpu-worker/dist/main.js"]

FROM node:22-bookworm-slim AS cpu
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app /app
USER node
CMD ["node", "apps/ingest/dist/main.js"]
