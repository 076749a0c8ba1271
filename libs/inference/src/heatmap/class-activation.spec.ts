import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gradCam, logitGradient, type ClassifierHead } from './class-activation';

/** Channel 2 alone raises the logit (through a ReLU unit); channel 0 lowers it. */
const HEAD: ClassifierHead = {
  layers: [
    { inputs: 3, units: 2, activation: 'relu', kernel: Float32Array.from([-1, 0, 0, 0, 2, 0.5]), bias: Float32Array.from([0.1, 0.1]) },
    { inputs: 2, units: 1, activation: 'sigmoid', kernel: Float32Array.from([1, 1]), bias: Float32Array.from([0]) },
  ],
};

function featureMap(h: number, w: number, c: number, at: (y: number, x: number, k: number) => number): Float32Array {
  const out = new Float32Array(h * w * c);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) out[(y * w + x) * c + k] = at(y, x, k);
  return out;
}

test('the map peaks where the channel that raises the logit is active, and is 0 where only the lowering one is', () => {
  const map = featureMap(5, 6, 3, (y, x, k) => (k === 2 && y === 3 && x === 4 ? 4 : k === 0 && y === 1 && x === 1 ? 4 : 0.05));
  const cam = gradCam(map, [5, 6, 3], HEAD);
  assert.equal(cam.values.length, 30);
  const peak = cam.values.indexOf(Math.max(...cam.values));
  assert.deepEqual([Math.floor(peak / 6), peak % 6], [3, 4]);
  assert.equal(cam.values[peak], 1);
  assert.equal(cam.values[1 * 6 + 1], 0);
  assert.ok(cam.values.every((v) => v >= 0 && v <= 1));
});

test('a map with no positive evidence is all 0 rather than noise scaled up', () => {
  const cam = gradCam(
    featureMap(2, 2, 3, (_y, _x, k) => (k === 0 ? 1 : 0)),
    [2, 2, 3],
    HEAD,
  );
  assert.deepEqual([...cam.values], [0, 0, 0, 0]);
});

test('the gradient of a two-way softmax head is that of its log-odds', () => {
  const softmax: ClassifierHead = {
    layers: [{ inputs: 2, units: 2, activation: 'softmax', kernel: Float32Array.from([1, 3, 2, -1]), bias: new Float32Array(2) }],
  };
  assert.deepEqual([...logitGradient(Float32Array.from([0.3, 0.7]), softmax)], [2, -3]);
});

test('a feature map that does not fit the head is refused', () => {
  assert.throws(() => gradCam(new Float32Array(8), [2, 2, 2], HEAD), /head reads 3 channels/);
  assert.throws(() => gradCam(new Float32Array(7), [2, 2, 2], HEAD), /needs 8/);
});
