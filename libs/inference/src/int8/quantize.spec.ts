import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type * as tfTypes from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { initWasmBackend, directorySaver } from '@pneumoscreen/tfjs';
import { measureActivationRanges } from './activation-ranges';
import {
  modelDirGraph,
  encodeModel,
  type OnnxModel,
  quantizeModel,
  uint8Params,
  valuesToCalibrate,
  type ValueRange,
} from '@pneumoscreen/onnx';

const SHAPE = [12, 12, 3] as const;

/** A seeded generator of values in [-0.5, 0.5). */
function random(seed: number): () => number {
  return () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5;
}

/** Conv + ReLU, depthwise + ReLU6, max pooling, a linear conv, global pooling and a linear dense
 * head (whose outputs show any shift directly): every kind of node the quantiser treats
 * differently. */
async function smallModel(): Promise<OnnxModel> {
  const tf = await initWasmBackend();
  return exported(tf, [
    tf.layers.conv2d({ inputShape: [...SHAPE], filters: 8, kernelSize: 3, padding: 'same', activation: 'relu' }),
    tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same' }),
    tf.layers.reLU({ maxValue: 6 }),
    tf.layers.maxPooling2d({ poolSize: 2 }),
    tf.layers.conv2d({ filters: 6, kernelSize: 1 }),
    tf.layers.globalAveragePooling2d({}),
    tf.layers.dense({ units: 2 }),
  ]);
}

async function exported(tf: typeof tfTypes, layers: tfTypes.layers.Layer[]): Promise<OnnxModel> {
  const model = tf.sequential({ layers });
  const next = random(7);
  for (const layer of model.layers)
    layer.setWeights(layer.getWeights().map((w: tfTypes.Tensor) => tf.tensor(Float32Array.from({ length: w.size }, next), w.shape)));
  const dir = await mkdtemp(path.join(tmpdir(), 'quantize-'));
  await model.save(directorySaver(dir));
  return modelDirGraph(dir);
}

/** Images whose channels have different, non-zero means, as real activations do. */
function images(count: number, seed: number): Float32Array[] {
  const next = random(seed);
  const size = SHAPE[0] * SHAPE[1] * SHAPE[2];
  return Array.from({ length: count }, () => Float32Array.from({ length: size }, (_, i) => 1 + (i % 3) + next()));
}

async function run(model: OnnxModel, inputs: Float32Array[]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(encodeModel(model));
  try {
    const batch = new Float32Array(inputs.length * inputs[0]!.length);
    inputs.forEach((x, i) => batch.set(x, i * x.length));
    const { output } = await session.run({ input: new ort.Tensor('float32', batch, [inputs.length, ...SHAPE]) });
    return output!.data as Float32Array;
  } finally {
    await session.release();
  }
}

test('a quantised model runs every convolution as QLinearConv, fuses ReLU and ReLU6, pools on uint8, and stays close to float', async () => {
  const model = await smallModel();
  const values = valuesToCalibrate(model);
  const ranges = await measureActivationRanges(model, values, images(32, 1));
  const int8 = quantizeModel(model, (v) => ranges.get(v)!);

  const ops = int8.nodes.map((n) => n.opType);
  assert.equal(ops.filter((op) => op === 'QLinearConv').length, 3);
  assert.ok(!ops.includes('Conv') && !ops.includes('Relu') && !ops.includes('Clip'), `left float: ${ops.join(', ')}`);
  const pool = int8.nodes.find((n) => n.opType === 'MaxPool')!;
  assert.ok(
    int8.nodes.some((n) => n.opType === 'QLinearConv' && n.outputs[0] === pool.inputs[0]),
    'max pooling reads the uint8 output of the depthwise conv',
  );
  assert.equal(ops.filter((op) => op === 'QuantizeLinear').length, 1, 'only the image is quantised from float');
  const used = new Set(int8.nodes.flatMap((n) => n.inputs));
  assert.deepEqual(
    int8.initializers.filter((t) => !used.has(t.name)).map((t) => t.name),
    [],
    'the float weights are gone',
  );

  const check = images(16, 2);
  const [expected, actual] = [await run(model, check), await run(int8, check)];
  const worst = Math.max(...expected.map((e, i) => Math.abs(e - actual[i]!)));
  const scale = Math.max(...expected.map(Math.abs));
  assert.ok(worst < 0.03 * scale, `largest difference ${worst} on outputs up to ${scale}`);
  assert.ok(worst > 0, 'the int8 model computes in int8, not float');
});

test('bias correction takes back the mean shift that rounding the weights causes', async () => {
  // Depthwise filters of 9 weights each, on channels whose mean is far from 0: rounding the
  // weights shifts every output channel by (rounding error) × (input mean).
  const tf = await initWasmBackend();
  const model = await exported(tf, [
    tf.layers.depthwiseConv2d({ inputShape: [...SHAPE], kernelSize: 3, depthMultiplier: 4, padding: 'valid' }),
    tf.layers.globalAveragePooling2d({}),
  ]);
  const ranges = await measureActivationRanges(model, valuesToCalibrate(model), images(32, 1));
  const withoutMeans = (v: string): ValueRange => ({ min: ranges.get(v)!.min, max: ranges.get(v)!.max });
  const check = images(32, 3);
  const expected = await run(model, check);
  const units = expected.length / check.length;
  /** The mean over images of each output's error, averaged in absolute value over the outputs. */
  const meanShift = async (range: (v: string) => ValueRange) => {
    const actual = await run(quantizeModel(model, range), check);
    let total = 0;
    for (let u = 0; u < units; u++) {
      let sum = 0;
      for (let i = 0; i < check.length; i++) sum += actual[i * units + u]! - expected[i * units + u]!;
      total += Math.abs(sum / check.length);
    }
    return total / units;
  };
  const corrected = await meanShift((v) => ranges.get(v)!);
  const uncorrected = await meanShift(withoutMeans);
  assert.ok(corrected < uncorrected / 2, `mean shift ${corrected} with correction, ${uncorrected} without`);
});

test('a channel with near-zero weights keeps its bias (its weight scale widens rather than the int32 bias overflowing)', async () => {
  const tf = await initWasmBackend();
  const conv = tf.layers.conv2d({ inputShape: [...SHAPE], filters: 2, kernelSize: 1 });
  const model = tf.sequential({ layers: [conv, tf.layers.globalAveragePooling2d({})] });
  // Channel 0: weights of 1e-9 and a bias of 5 (a unit of x_scale × 1e-9 / 64 would need 2^42).
  conv.setWeights([tf.tensor4d([1e-9, 0.5, 1e-9, -0.25, 1e-9, 0.75], [1, 1, 3, 2]), tf.tensor1d([5, 0.1])]);
  const dir = await mkdtemp(path.join(tmpdir(), 'quantize-bias-'));
  await model.save(directorySaver(dir));
  const graph = await modelDirGraph(dir);
  const ranges = await measureActivationRanges(graph, valuesToCalibrate(graph), images(8, 1));
  const check = images(4, 2);
  const [expected, actual] = [
    await run(graph, check),
    await run(
      quantizeModel(graph, (v) => ranges.get(v)!),
      check,
    ),
  ];
  for (let i = 0; i < expected.length; i++)
    assert.ok(Math.abs(expected[i]! - actual[i]!) < 0.05, `output ${i}: ${actual[i]} for ${expected[i]}`);
});

test('uint8 ranges always hold zero exactly', () => {
  assert.deepEqual(uint8Params({ min: 0, max: 6 }), { scale: 6 / 255, zeroPoint: 0 });
  const { scale, zeroPoint } = uint8Params({ min: 1, max: 3 });
  assert.equal(zeroPoint, 0, 'a range above zero is widened down to it');
  assert.equal(scale, 3 / 255);
  const mixed = uint8Params({ min: -1, max: 3 });
  assert.equal(mixed.zeroPoint, Math.round(1 / (4 / 255)));
  assert.deepEqual(uint8Params({ min: 0, max: 0 }), { scale: 1, zeroPoint: 0 });
  assert.throws(() => uint8Params({ min: -Infinity, max: 1 }), /not finite/);
});
