import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initWasmBackend } from '@pneumoscreen/tfjs';
import { buildHead } from './head';
import { copyHeadWeights } from './init-from';

before(async () => {
  await initWasmBackend();
});

const values = (head: tf.Sequential, layer: string) =>
  head
    .getLayer(layer)
    .getWeights()
    .map((w) => Array.from(w.dataSync()));

test("a trained version's head weights start the new head", () => {
  const trained = buildHead(8, 1);
  const fresh = buildHead(8, 2);
  assert.notDeepEqual(values(fresh, 'head_dense'), values(trained, 'head_dense'));
  copyHeadWeights(trained, fresh, 'v1');
  for (const layer of ['head_dense', 'head_output']) assert.deepEqual(values(fresh, layer), values(trained, layer));
});

test('a version whose head does not fit is refused, naming the layer', () => {
  assert.throws(
    () => copyHeadWeights(buildHead(4, 1), buildHead(8, 2), 'v1'),
    /cannot start training from v1: its head_dense weights are \[\[4,128\],\[128\]\], the head's \[\[8,128\],\[128\]\]/,
  );
  const headless = tf.sequential({ layers: [tf.layers.dense({ name: 'other', units: 1, inputShape: [8] })] });
  assert.throws(() => copyHeadWeights(headless, buildHead(8, 2), 'v1'), /v1: its model has no head_dense layer/);
});
