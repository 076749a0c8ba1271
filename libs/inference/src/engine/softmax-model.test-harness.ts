import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { initWasmBackend, directorySaver } from '@pneumoscreen/tfjs';

/** A tiny 4x4 image classifier with a 2-way softmax whose PNEUMONIA column rises with brightness,
 * saved as a TF.js layers model in a fresh folder: an all-dark image scores 0.5, an all-bright one
 * has logits (-3, 3). */
export async function softmaxModelDir(): Promise<string> {
  const tf = await initWasmBackend();
  const model = tf.sequential({
    layers: [tf.layers.globalAveragePooling2d({ inputShape: [4, 4, 3] }), tf.layers.dense({ units: 2, activation: 'softmax' })],
  });
  model.layers[1]!.setWeights([
    tf.tensor2d([
      [-1, 1],
      [-1, 1],
      [-1, 1],
    ]),
    tf.zeros([2]),
  ]);
  const dir = await mkdtemp(path.join(tmpdir(), 'softmax-model-'));
  await model.save(directorySaver(dir));
  return dir;
}
