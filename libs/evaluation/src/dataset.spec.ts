import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { listDataset } from './dataset';

test('images under NORMAL/ and PNEUMONIA/ at any depth are listed with labels and content hashes', async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'dataset-'));
  for (const dir of ['train/NORMAL', 'train/PNEUMONIA/sub', 'other']) await mkdir(path.join(root, dir), { recursive: true });
  await writeFile(path.join(root, 'train/NORMAL/a.jpeg'), 'same');
  await writeFile(path.join(root, 'train/PNEUMONIA/sub/b.PNG'), 'same');
  await writeFile(path.join(root, 'train/PNEUMONIA/notes.txt'), 'x');
  await writeFile(path.join(root, 'other/c.jpg'), 'unlabelled');

  const images = await listDataset(root);
  assert.deepEqual(
    images.map((i) => [path.relative(root, i.path), i.label]),
    [
      ['train/NORMAL/a.jpeg', 0],
      ['train/PNEUMONIA/sub/b.PNG', 1],
    ],
  );
  assert.equal(images[0]!.sha256, images[1]!.sha256);
  assert.match(images[0]!.sha256, /^[0-9a-f]{64}$/);
});

test('a folder without labelled images is an error', async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'dataset-'));
  await assert.rejects(listDataset(root), /no images under NORMAL\/ or PNEUMONIA\//);
  await assert.rejects(listDataset(path.join(root, 'missing')), /does not exist or is not a folder/);
});
