import type * as tfTypes from '@tensorflow/tfjs';
import { initWasmBackend } from '@pneumoscreen/tfjs';
import type { TfjsBackend } from './worker-protocol';

/** Optional packages, in no package.json: their install downloads libtensorflow, which hosts
 * without internet access (CI, this project's machines) cannot do. A GPU host adds one. */
export const TFJS_NODE_PACKAGES = {
  'tfjs-node': '@tensorflow/tfjs-node',
  'tfjs-node-gpu': '@tensorflow/tfjs-node-gpu',
} as const;

/** Whether `backend`'s package is installed, found without loading it (loading starts TensorFlow). */
export function tfjsNodeInstalled(backend: keyof typeof TFJS_NODE_PACKAGES): boolean {
  try {
    require.resolve(TFJS_NODE_PACKAGES[backend]);
    return true;
  } catch {
    return false;
  }
}

/** Switches this thread's TF.js to `backend` and says where it computes (`cpu` or `gpu`). */
export async function initTfjsBackend(backend: TfjsBackend): Promise<{ tf: typeof tfTypes; device: string }> {
  if (backend === 'wasm') return { tf: await initWasmBackend(), device: 'cpu' };
  // tfjs-node re-exports the @tensorflow/tfjs it registers its native `tensorflow` backend on.
  const tf = require(TFJS_NODE_PACKAGES[backend]) as typeof tfTypes;
  if (!(await tf.setBackend('tensorflow'))) throw new Error(`${TFJS_NODE_PACKAGES[backend]} loaded but its backend did not start`);
  // tfjs-node-gpu quietly computes on the CPU when CUDA finds no device; its backend knows.
  const onGpu = (tf.backend() as { isUsingGpuDevice?: boolean }).isUsingGpuDevice === true;
  return { tf, device: onGpu ? 'gpu' : 'cpu' };
}
