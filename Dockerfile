# One image for every app (the last stage, `cpu`, the default); the compose file picks the entry
# point. The `gpu` target is the same app on NVIDIA's CUDA runtime, for workers that classify on a
# GPU: `docker build --target gpu .`
# Node 22 LTS: Node 20 reached its end of life in April 2026, and AWS SDK releases from January
# 2027 on need 22 (each process warns of it on 20). The code still runs on 20, where CI runs.
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY . .
RUN npm ci && npm prune --omit=dev

# .npmrc skips ONNX Runtime's CUDA provider (a download from NuGet, which CI cannot reach); the GPU
# image fetches it here. It needs CUDA 12 and cuDNN 9, which the runtime image below provides.
FROM build AS build-gpu
RUN ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node \
 && test -f node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime_providers_cuda.so

FROM nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04 AS gpu
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
