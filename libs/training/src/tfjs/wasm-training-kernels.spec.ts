import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initWasmTrainingBackend } from './wasm-training-kernels';

/** Runs `f` on the CPU backend (the reference) and on WASM, and returns both results' values. */
async function onBoth(f: () => tf.Tensor[]): Promise<{ cpu: Float32Array[]; wasm: Float32Array[] }> {
  await initWasmTrainingBackend();
  const run = () =>
    tf.tidy(() =>
      f()
        .map((t) => t.dataSync() as Float32Array)
        .map((v) => v.slice()),
    );
  await tf.setBackend('cpu');
  try {
    const cpu = run();
    await tf.setBackend('wasm');
    return { cpu, wasm: run() };
  } finally {
    await tf.setBackend('wasm');
  }
}

function assertClose(got: Float32Array[], want: Float32Array[], what: string) {
  assert.equal(got.length, want.length);
  got.forEach((g, k) => {
    const w = want[k]!;
    assert.equal(g.length, w.length, `${what} #${k}: length`);
    const scale = Math.max(1, ...Array.from(w, Math.abs));
    for (let i = 0; i < g.length; i++) {
      assert.ok(Math.abs(g[i]! - w[i]!) <= 1e-4 * scale, `${what} #${k}[${i}]: wasm ${g[i]} vs cpu ${w[i]}`);
    }
  });
}

/** Inputs are built from seeded values on whichever backend is active, so both see the same. */
const seeded = (shape: number[], seed: number) => tf.randomUniform(shape, -1, 1, 'float32', seed);

const CONV_CASES: Array<{
  x: [number, number, number, number];
  f: [number, number, number, number];
  stride: number;
  pad: 'same' | 'valid';
}> = [
  { x: [2, 7, 6, 3], f: [3, 3, 3, 4], stride: 1, pad: 'same' },
  { x: [2, 8, 8, 3], f: [3, 3, 3, 5], stride: 2, pad: 'same' },
  { x: [1, 9, 7, 2], f: [3, 2, 2, 3], stride: 2, pad: 'valid' },
  { x: [3, 5, 5, 4], f: [1, 1, 4, 6], stride: 1, pad: 'valid' },
  { x: [2, 6, 7, 3], f: [2, 3, 3, 2], stride: 1, pad: 'valid' },
  { x: [1, 5, 6, 2], f: [2, 4, 2, 3], stride: 1, pad: 'same' },
];

for (const c of CONV_CASES) {
  test(`conv2d gradients on WASM equal the CPU backend's: x ${c.x} filter ${c.f} stride ${c.stride} ${c.pad}`, async () => {
    const { cpu, wasm } = await onBoth(() => {
      const x = seeded(c.x, 1);
      const w = seeded(c.f, 2);
      const loss = (a: tf.Tensor4D, b: tf.Tensor4D) => {
        const y = tf.conv2d(a, b, c.stride, c.pad);
        return tf.sum(tf.mul(y, seeded(y.shape, 3)));
      };
      return tf.grads(loss as (...t: tf.Tensor[]) => tf.Tensor)([x, w]);
    });
    assertClose(wasm, cpu, 'dx, dw');
  });
}

const DEPTHWISE_CASES: Array<{ f: [number, number, number, number]; stride: number; pad: 'same' | 'valid' }> = [
  { f: [3, 3, 3, 1], stride: 1, pad: 'same' },
  { f: [3, 3, 3, 1], stride: 2, pad: 'same' },
  { f: [3, 3, 3, 2], stride: 1, pad: 'same' },
  { f: [2, 3, 3, 2], stride: 2, pad: 'valid' },
  { f: [2, 2, 3, 1], stride: 1, pad: 'same' },
];

for (const c of DEPTHWISE_CASES) {
  test(`depthwise conv2d gradients on WASM equal the CPU backend's: filter ${c.f} stride ${c.stride} ${c.pad}`, async () => {
    const { cpu, wasm } = await onBoth(() => {
      const loss = (a: tf.Tensor4D, b: tf.Tensor4D) => {
        const y = tf.depthwiseConv2d(a, b, c.stride, c.pad);
        return tf.sum(tf.mul(y, seeded(y.shape, 3)));
      };
      return tf.grads(loss as (...t: tf.Tensor[]) => tf.Tensor)([seeded([2, 7, 6, 3], 1), seeded(c.f, 2)]);
    });
    assertClose(wasm, cpu, 'dx, dw');
  });
}

test("matMul with transposed operands on WASM equals the CPU backend's, 2-D and batched", async () => {
  for (const [transposeA, transposeB] of [
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ]) {
    const { cpu, wasm } = await onBoth(() => {
      const a2 = seeded(transposeA ? [5, 3] : [3, 5], 1);
      const b2 = seeded(transposeB ? [4, 5] : [5, 4], 2);
      const a3 = seeded(transposeA ? [2, 5, 3] : [2, 3, 5], 3);
      const b3 = seeded(transposeB ? [2, 4, 5] : [2, 5, 4], 4);
      return [tf.matMul(a2, b2, transposeA, transposeB), tf.matMul(a3, b3, transposeA, transposeB)];
    });
    assertClose(wasm, cpu, `transposeA ${transposeA} transposeB ${transposeB}`);
  }
});

test('the registered kernels free every temporary they make on the WASM heap', async () => {
  await initWasmTrainingBackend();
  const backend = tf.backend() as unknown as { numDataIds(): number };
  const x = seeded([2, 8, 8, 3], 1);
  const w = seeded([3, 3, 3, 4], 2);
  const d = seeded([3, 3, 3, 1], 4);
  const a = seeded([6, 3], 3);
  const step = () =>
    tf.tidy(() => {
      const convs = (p: tf.Tensor, q: tf.Tensor) =>
        tf.add(
          tf.sum(tf.conv2d(p as tf.Tensor4D, q as tf.Tensor4D, 1, 'same')),
          tf.sum(tf.conv2d(p as tf.Tensor4D, q as tf.Tensor4D, 2, 'same')),
        );
      const depthwise = (p: tf.Tensor, q: tf.Tensor) =>
        tf.add(
          tf.sum(tf.depthwiseConv2d(p as tf.Tensor4D, q as tf.Tensor4D, 1, 'same')),
          tf.sum(tf.depthwiseConv2d(p as tf.Tensor4D, q as tf.Tensor4D, 2, 'same')),
        );
      const grads = [...tf.grads(convs)([x, w]), ...tf.grads(depthwise)([x, d])];
      return [...grads, tf.matMul(a, a, true, false)].map((t) => t.sum().dataSync()[0]);
    });
  step();
  const tensors = tf.memory().numTensors;
  const dataIds = backend.numDataIds();
  step();
  assert.equal(tf.memory().numTensors, tensors);
  assert.equal(backend.numDataIds(), dataIds);
  tf.dispose([x, w, d, a]);
});
