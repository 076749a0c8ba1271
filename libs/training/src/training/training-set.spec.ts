import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LabelledImage } from '@pneumoscreen/evaluation';
import { patientSplit } from '@pneumoscreen/evaluation';
import { buildTrainingSet } from './training-set';

const image = (name: string, label: 0 | 1, sha256 = name): LabelledImage => ({
  path: `/data/${label ? 'PNEUMONIA' : 'NORMAL'}/${name}`,
  label,
  sha256,
});

const base = [
  ...Array.from({ length: 10 }, (_, p) => image(`IM-${1000 + p}-0001.jpeg`, 0)),
  ...Array.from({ length: 10 }, (_, p) => image(`person${p}_bacteria_1.jpeg`, 1)),
];

test('extra images join the training side only, and the base split stays what it was', () => {
  const extra = [image('a.jpg', 1), image('b.jpg', 0)];
  const set = buildTrainingSet(base, extra, 0.3, 7);
  const alone = patientSplit(base, 0.3, 7);
  assert.deepEqual(set.val, alone.val);
  assert.deepEqual(set.train, [...alone.train, 20, 21]);
  assert.deepEqual(set.images.slice(20), extra);
  assert.deepEqual(set.base.split, alone);
  assert.equal(set.extra.droppedAsValidation, 0);
});

test('an extra image with the bytes of a validation image is left out', () => {
  const alone = patientSplit(base, 0.3, 7);
  const valImage = base[alone.val[0]!]!;
  const trainImage = base[alone.train[0]!]!;
  const set = buildTrainingSet(
    base,
    [image('copy-of-val.jpg', valImage.label, valImage.sha256), image('copy-of-train.jpg', trainImage.label, trainImage.sha256)],
    0.3,
    7,
  );
  assert.deepEqual(
    set.extra.images.map((i) => i.path),
    ['/data/' + (trainImage.label ? 'PNEUMONIA' : 'NORMAL') + '/copy-of-train.jpg'],
  );
  assert.equal(set.extra.droppedAsValidation, 1);
  assert.equal(set.train.length, alone.train.length + 1);
});
