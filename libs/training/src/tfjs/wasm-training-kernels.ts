import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { initWasmBackend } from '@pneumoscreen/tfjs';
import { backpropInputAsForward, conv2dBackpropFilter, depthwiseBackpropFilter, wasmKernel, withTemps } from './wasm-conv-gradients';

let registered = false;

/**
 * The WASM backend as `initWasmBackend` sets it up, plus what training convolutional layers on it
 * needs: TF.js WASM has no Conv2DBackpropFilter nor depthwise backprop kernels, so fitting any
 * conv layer fails there, and its transposed matMul (every dense gradient) and its
 * Conv2DBackpropInput are an order of magnitude slower than an untransposed matMul and a forward
 * convolution, which is what the kernels registered here use instead.
 */
export async function initWasmTrainingBackend(): Promise<typeof tf> {
  const tfjs = await initWasmBackend();
  registerWasmTrainingKernels();
  return tfjs;
}

/** Idempotent; call after the WASM backend is initialised (its kernels bind to the module then). */
export function registerWasmTrainingKernels(): void {
  if (registered) return;
  registered = true;
  tf.registerKernel({ kernelName: tf.Conv2DBackpropFilter, backendName: 'wasm', kernelFunc: conv2dBackpropFilter });
  tf.registerKernel({ kernelName: tf.DepthwiseConv2dNativeBackpropFilter, backendName: 'wasm', kernelFunc: depthwiseBackpropFilter });
  // Strided or multiplied depthwise input gradients, rare in fine-tuning (only below a trained
  // layer), are left to the CPU backend's loops.
  const depthwiseInput = backpropInputAsForward(tf.DepthwiseConv2dNative)(onCpuBackend(tf.DepthwiseConv2dNativeBackpropInput));
  tf.registerKernel({ kernelName: tf.DepthwiseConv2dNativeBackpropInput, backendName: 'wasm', kernelFunc: depthwiseInput });
  override(tf.BatchMatMul, transposeFirst);
  override(tf.Conv2DBackpropInput, backpropInputAsForward(tf.Conv2D));
}

/** Replaces a WASM kernel by a wrapper of it, keeping its setup (it binds the WASM function). */
function override(name: string, wrap: (original: tf.KernelFunc) => tf.KernelFunc): void {
  const original = tf.getKernel(name, 'wasm');
  if (!original) throw new Error(`the TF.js WASM backend has no ${name} kernel`);
  tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({ ...original, kernelFunc: wrap(original.kernelFunc) });
}

/** XNNPACK's matMul is fast only untransposed; an explicit transpose costs far less than the gap. */
function transposeFirst(matMul: tf.KernelFunc): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { transposeA, transposeB } = attrs as unknown as tf.BatchMatMulAttrs;
    if (!transposeA && !transposeB) return matMul({ inputs, backend, attrs });
    const wasm = backend as BackendWasm;
    const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    return withTemps(wasm, (keep) => {
      const swapLastTwo = (t: tf.TensorInfo) => {
        const rank = t.shape.length;
        return keep(wasmKernel(tf.Transpose, wasm, { x: t }, { perm: [...Array(rank - 2).keys(), rank - 1, rank - 2] }));
      };
      return matMul({
        inputs: { a: transposeA ? swapLastTwo(a) : a, b: transposeB ? swapLastTwo(b) : b },
        backend,
        attrs: { ...attrs, transposeA: false, transposeB: false },
      }) as tf.TensorInfo;
    });
  };
}

/** Runs the CPU backend's kernel on copies of WASM tensors and hands the result back to WASM. */
function onCpuBackend(kernelName: string): tf.KernelFunc {
  const kernel = tf.getKernel(kernelName, 'cpu');
  if (!kernel) throw new Error(`the TF.js CPU backend has no ${kernelName} kernel`);
  return ({ inputs, backend, attrs }) => {
    const wasm = backend as BackendWasm;
    const cpu = tf.engine().findBackend('cpu');
    const cpuInputs: tf.NamedTensorInfoMap = {};
    for (const [name, t] of Object.entries(inputs) as Array<[string, tf.TensorInfo]>) {
      cpuInputs[name] = { dataId: cpu.write(wasm.readSync(t.dataId), t.shape, t.dtype), shape: t.shape, dtype: t.dtype };
    }
    try {
      const out = kernel.kernelFunc({ inputs: cpuInputs, backend: cpu, attrs }) as tf.TensorInfo;
      const values = cpu.readSync(out.dataId);
      cpu.disposeData(out.dataId);
      return wasm.makeOutput(out.shape, out.dtype, undefined, values);
    } finally {
      for (const t of Object.values(cpuInputs) as tf.TensorInfo[]) cpu.disposeData(t.dataId);
    }
  };
}
