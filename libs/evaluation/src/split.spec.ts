import { test } from 'node:test';
import assert from 'node:assert/strict';
import { groupImages, mulberry32, patientId, patientSplit, type SplitInput } from './split';

test('patient ids come from Kermany file names', () => {
  assert.equal(patientId('/d/PNEUMONIA/person1000_bacteria_2931.jpeg'), 'person1000');
  assert.equal(patientId('person1000_virus_1681.jpeg'), 'person1000');
  assert.equal(patientId('IM-0115-0001.jpeg'), 'im115');
  assert.equal(patientId('NORMAL2-IM-0115-0002.jpeg'), 'im115');
  assert.equal(patientId('scan.png'), undefined);
});

function image(name: string, label: 0 | 1, sha256 = name): SplitInput {
  return { path: `/data/${label ? 'PNEUMONIA' : 'NORMAL'}/${name}`, label, sha256 };
}

test('images of one patient, and byte-identical files, share a group', () => {
  const { groups, ungrouped } = groupImages([
    image('person1_bacteria_1.jpeg', 1),
    image('person1_virus_2.jpeg', 1),
    image('person2_bacteria_3.jpeg', 1, 'same-bytes'),
    image('person3_bacteria_4.jpeg', 1, 'same-bytes'),
    image('person4_bacteria_5.jpeg', 1),
    image('odd.png', 0),
  ]);
  assert.equal(groups[0], groups[1]);
  assert.equal(groups[2], groups[3]);
  assert.notEqual(groups[0], groups[2]);
  assert.equal(new Set(groups).size, 4);
  assert.equal(ungrouped, 1);
});

function syntheticSet(): SplitInput[] {
  const random = mulberry32(7);
  const images: SplitInput[] = [];
  for (let p = 0; p < 300; p++) {
    const n = 1 + Math.floor(random() * 4);
    for (let k = 0; k < n; k++) images.push(image(`person${p}_bacteria_${k}.jpeg`, 1, `p${p}-${k}`));
  }
  for (let p = 0; p < 100; p++) {
    const n = 1 + Math.floor(random() * 3);
    for (let k = 0; k < n; k++) images.push(image(`IM-${p}-000${k}.jpeg`, 0, `n${p}-${k}`));
  }
  // A duplicate crossing patients must pull both patients to one side.
  images.push(image('person5_virus_99.jpeg', 1, 'p6-0'));
  return images;
}

test('no patient and no file content appears on both sides', () => {
  const images = syntheticSet();
  const split = patientSplit(images, 0.2, 42);
  assert.equal(split.train.length + split.val.length, images.length);
  const side = (idx: number[]) => ({
    patients: new Set(idx.map((i) => patientId(images[i]!.path))),
    hashes: new Set(idx.map((i) => images[i]!.sha256)),
  });
  const train = side(split.train);
  const val = side(split.val);
  for (const p of val.patients) assert.ok(!train.patients.has(p), `patient ${p} on both sides`);
  for (const h of val.hashes) assert.ok(!train.hashes.has(h), `content ${h} on both sides`);
  assert.ok(!(train.patients.has('person5') && val.patients.has('person6')));
  assert.ok(!(val.patients.has('person5') && train.patients.has('person6')));
});

test('validation keeps about the requested share of each class', () => {
  const images = syntheticSet();
  const split = patientSplit(images, 0.2, 42);
  for (const label of [0, 1] as const) {
    const total = images.filter((i) => i.label === label).length;
    const inVal = split.val.filter((i) => images[i]!.label === label).length;
    assert.ok(Math.abs(inVal / total - 0.2) < 0.02, `class ${label}: ${inVal}/${total} in validation`);
  }
});

test('the split is a function of the seed', () => {
  const images = syntheticSet();
  assert.deepEqual(patientSplit(images, 0.2, 42), patientSplit(images, 0.2, 42));
  assert.notDeepEqual(patientSplit(images, 0.2, 42).val, patientSplit(images, 0.2, 43).val);
});
