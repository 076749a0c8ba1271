// The bundle's start.sh: checks Node, then runs the worker from the bundle's own folder.
const GPU_LINES = `# CUDA 13 and cuDNN 9 from NVIDIA's Python wheels (pip install nvidia-cuda-runtime nvidia-cublas
# nvidia-curand nvidia-cudnn-cu13): the CUDA provider opens cuDNN's parts by name, which only the
# loader's own search finds, so their folders join LD_LIBRARY_PATH before the worker starts.
if command -v python3 >/dev/null 2>&1; then
  for site in $(python3 -c 'import site; print(" ".join(site.getsitepackages() + [site.getusersitepackages()]))' 2>/dev/null); do
    for lib in "$site"/nvidia/*/lib; do
      [ -d "$lib" ] && LD_LIBRARY_PATH="\${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$lib"
    done
  done
  export LD_LIBRARY_PATH
fi
# It refuses to start without a GPU and every CUDA library, naming what is missing.
export ENGINE="\${ENGINE:-onnxruntime-cuda}"
`;

export function startScript(target) {
  return `#!/bin/sh
# Starts the pneumoscreen worker from this folder; all it needs is Node 20.9 or newer on PATH
# (NODE=/path/to/node to name another). Settings come from the environment (README: Configuration):
# REDIS_URL, S3_ENDPOINT, S3_BUCKET, WEBHOOK_URL, WEBHOOK_SECRET and the rest; the model is the
# release in models/releases unless MODEL_DIR or MODEL_REGISTRY says otherwise.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
node=\${NODE:-node}
if ! "$node" -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 9) ? 0 : 1)' 2>/dev/null; then
  echo "pneumoscreen: this worker needs Node 20.9 or newer (found: $("$node" --version 2>/dev/null || echo none))" >&2
  exit 1
fi
export NODE_ENV=production
${target === 'gpu' ? GPU_LINES : ''}exec "$node" "$here/apps/gpu-worker/dist/main.js" "$@"
`;
}
