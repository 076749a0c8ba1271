/** What `auto` tries, in order (a GPU, then native CPU runtimes), before TF.js WASM, which needs
 * nothing native. */
export const AUTO_ENGINE_ORDER = ['tfjs-node-gpu', 'tfjs-node', 'onnxruntime'] as const;

/** What `ENGINE` may say: the one list config validation, engine selection and the CLI use.
 * `onnxruntime-cuda` is `onnxruntime` that refuses to start without a GPU, for a GPU worker that
 * must never quietly classify on its CPU; `onnxruntime-webgpu` likewise runs on WebGPU (any Vulkan
 * GPU: NVIDIA, AMD, Intel) or not at all. */
export const ENGINE_CHOICES = [
  'auto',
  ...AUTO_ENGINE_ORDER,
  'onnxruntime-cuda',
  'onnxruntime-webgpu',
  'onnxruntime-int8',
  'tfjs-wasm',
] as const;
export type EngineChoice = (typeof ENGINE_CHOICES)[number];
