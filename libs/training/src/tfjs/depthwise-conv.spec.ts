import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initWasmBackend } from '@pneumoscreen/tfjs';
import { depthwiseConv2d } from './depthwise-conv';

const seeded = (shape: number[], seed: number) => tf.randomUniform(shape, -1, 1, 'float32', seed);

/** The reference: TF.js's own depthwise op and its registered gradients on the CPU backend. */
async function reference(x: number[], k: number[], stride: number): Promise<Float32Array[]> {
  await tf.setBackend('cpu');
  try {
    return tf.tidy(() => {
      const loss = (a: tf.Tensor4D, b: tf.Tensor4D) => {
        const y = tf.depthwiseConv2d(a, b, stride, 'same');
        return tf.sum(tf.mul(y, seeded(y.shape, 3)));
      };
      const y = tf.depthwiseConv2d(seeded(x, 1) as tf.Tensor4D, seeded(k, 2) as tf.Tensor4D, stride, 'same');
      const grads = tf.grads(loss as (...t: tf.Tensor[]) => tf.Tensor)([seeded(x, 1), seeded(k, 2)]);
      return [y, ...grads].map((t) => (t.dataSync() as Float32Array).slice());
    });
  } finally {
    await initWasmBackend();
    await tf.setBackend('wasm');
  }
}

function assertClose(got: Float32Array, want: Float32Array, what: string) {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < got.length; i++)
    assert.ok(Math.abs(got[i]! - want[i]!) <= 1e-4 * Math.max(1, Math.abs(want[i]!)), `${what}[${i}]: ${got[i]} vs ${want[i]}`);
}

const CASES = [
  { x: [2, 7, 7, 5], k: [3, 3, 5, 1], stride: 1, inputGradient: true },
  { x: [3, 5, 6, 4], k: [3, 3, 4, 1], stride: 1, inputGradient: true },
  { x: [2, 8, 8, 3], k: [3, 3, 3, 1], stride: 2, inputGradient: false },
  { x: [2, 7, 9, 3], k: [3, 3, 3, 1], stride: 2, inputGradient: false },
];

for (const c of CASES) {
  test(`depthwise output and gradients on WASM equal TF.js's on CPU: x ${c.x} stride ${c.stride}`, async () => {
    const [y, dx, dk] = await reference(c.x, c.k, c.stride);
    const tfw = await initWasmBackend();
    const got = tfw.tidy(() => {
      const loss = (a: tf.Tensor4D, b: tf.Tensor4D) => {
        const out = depthwiseConv2d(a, b, { stride: c.stride, inputGradient: c.inputGradient });
        return tf.sum(tf.mul(out, seeded(out.shape, 3)));
      };
      const value = depthwiseConv2d(seeded(c.x, 1) as tf.Tensor4D, seeded(c.k, 2) as tf.Tensor4D, c);
      const grads = tf.grads(loss as (...t: tf.Tensor[]) => tf.Tensor)([seeded(c.x, 1), seeded(c.k, 2)]);
      return [value, ...grads].map((t) => (t.dataSync() as Float32Array).slice());
    });
    assertClose(got[0]!, y!, 'output');
    assertClose(got[2]!, dk!, 'kernel gradient');
    if (c.inputGradient) assertClose(got[1]!, dx!, 'input gradient');
    else
      assert.ok(
        got[1]!.every((v) => v === 0),
        'a constant input gets no gradient',
      );
  });
}

test('input gradients are refused where they cannot be computed', () => {
  const x = tf.zeros([1, 4, 4, 2]) as tf.Tensor4D;
  assert.throws(
    () => depthwiseConv2d(x, tf.zeros([3, 3, 2, 1]) as tf.Tensor4D, { stride: 2, inputGradient: true }),
    /stride 1 and an odd kernel/,
  );
  assert.throws(() => depthwiseConv2d(x, tf.zeros([3, 3, 2, 2]) as tf.Tensor4D, { stride: 1, inputGradient: false }), /depth multiplier 2/);
});
