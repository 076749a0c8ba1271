import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

let ready: Promise<typeof tf> | undefined;

/**
 * Switches this thread's TF.js to the WASM backend (SIMD, single thread). The pure-JS CPU backend
 * is two orders of magnitude slower, and tfjs-node's native binary is not available here.
 */
export function initWasmBackend(): Promise<typeof tf> {
  ready ??= (async () => {
    // Emscripten would otherwise look for the .wasm next to the bundle that loaded it, which in
    // Node is wherever the caller's script lives.
    const wasmFile = require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm');
    setWasmPaths(path.dirname(wasmFile) + path.sep);
    if (!(await tf.setBackend('wasm'))) throw new Error('TF.js WASM backend failed to initialise');
    await tf.ready();
    return tf;
  })();
  return ready;
}
