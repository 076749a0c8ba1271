import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, sharedDir } from '@pneumoscreen/testing';
import type { Preprocessing } from '@pneumoscreen/contracts';
import { ImageDecodeError, preprocess } from '../index';

const SPEC: Preprocessing = { mode: 'mobilenet', inputSize: [224, 224], channels: 3 };

// Small files are copied into the repo (see fixtures/dicom/SOURCES.md); large ones stay in the
// shared data folder. Both are looked up lazily so one missing folder fails only its own tests.
const fixture = (name: string) => join(repoRoot(), 'libs/imaging/fixtures/dicom', name);
const shared = (path: string) => join(sharedDir(), 'data', path);

interface Case {
  path: () => string;
  /** The original JPEG this DICOM wraps, when it wraps one. */
  original?: () => string;
  refused?: RegExp;
}

const FILES: Record<string, Case> = {
  'nih_cxr_nofinding_DX_nhsx.dcm': { path: () => shared('dicom/nih_cxr_nofinding_DX_nhsx.dcm') },
  'CR-MONO1-10-chest.dcm': { path: () => fixture('CR-MONO1-10-chest.dcm') },
  'RG1_J2KI.dcm': { path: () => shared('dicom/RG1_J2KI.dcm') },
  'nhsx_sample.dcm': { path: () => fixture('nhsx_sample.dcm'), refused: /modality "OT" is not a radiograph/ },
  'kermany_train_NORMAL_IM-0117-0001_jpegbaseline.dcm': {
    path: () => shared('dicom/kermany_train_NORMAL_IM-0117-0001_jpegbaseline.dcm'),
    original: () => shared('kermany-original-sample/NORMAL/IM-0117-0001.jpeg'),
  },
  'kermany_train_PNEUMONIA_person1003_virus_1685_jpegbaseline.dcm': {
    path: () => fixture('kermany_train_PNEUMONIA_person1003_virus_1685_jpegbaseline.dcm'),
    original: () => fixture('kermany_train_PNEUMONIA_person1003_virus_1685.jpeg'),
  },
  'kermany_train_PNEUMONIA_person1003_virus_1685_explicitLE.dcm': {
    path: () => shared('dicom/kermany_train_PNEUMONIA_person1003_virus_1685_explicitLE.dcm'),
    original: () => fixture('kermany_train_PNEUMONIA_person1003_virus_1685.jpeg'),
  },
};

test('every DICOM file in the shared data folder has an expectation here', () => {
  const present = readdirSync(shared('dicom'))
    .filter((f) => f.endsWith('.dcm'))
    .sort();
  assert.deepEqual(present, Object.keys(FILES).sort());
});

/** Mean of channel 0 over a rectangle of the 224x224 input, in model units ([-1, 1]). */
function patch(x: Float32Array, top: number, left: number, size: number): number {
  let sum = 0;
  for (let r = top; r < top + size; r++) for (let c = left; c < left + size; c++) sum += x[(r * 224 + c) * 3]!;
  return sum / (size * size);
}

for (const [name, c] of Object.entries(FILES)) {
  if (c.refused) {
    test(`${name} is refused`, async () => {
      await assert.rejects(preprocess(readFileSync(c.path()), SPEC), (err: unknown) => {
        assert.ok(err instanceof ImageDecodeError, String(err));
        assert.equal(err.reason, 'refused');
        assert.match(err.message, c.refused!);
        return true;
      });
    });
    continue;
  }
  test(`${name} decodes to a chest radiograph with dark lungs`, async () => {
    const x = await preprocess(readFileSync(c.path()), SPEC);
    assert.equal(x.length, 224 * 224 * 3);
    const mean = x.reduce((s, v) => s + v, 0) / x.length;
    assert.ok(mean > -0.5 && mean < 0.65, `mean ${mean} is not a radiograph's`);
    // Lungs are air, dark on a radiograph; the spine and heart between them are bright. A
    // MONOCHROME1 image left uninverted, or a wrong VOI, turns this around or flattens it.
    const spine = patch(x, 80, 102, 20);
    for (const [side, lung] of [
      ['right', patch(x, 70, 40, 30)],
      ['left', patch(x, 70, 154, 30)],
    ] as const) {
      assert.ok(lung < spine - 0.3, `${side} lung (${lung.toFixed(2)}) should be much darker than the spine (${spine.toFixed(2)})`);
    }
  });
}

/** The JPEG with its APPn segments (JFIF, Exif, ICC profile, Photoshop) removed, as dcmtk's
 * img2dcm wraps it: same entropy-coded pixels, no colour management. */
function withoutAppSegments(jpeg: Buffer): Buffer {
  const kept = [jpeg.subarray(0, 2)];
  let i = 2;
  while (jpeg[i] === 0xff && jpeg[i + 1]! >= 0xe0 && jpeg[i + 1]! <= 0xef) i += 2 + jpeg.readUInt16BE(i + 2);
  kept.push(jpeg.subarray(i));
  return Buffer.concat(kept);
}

for (const [name, c] of Object.entries(FILES).filter(([, c]) => c.original)) {
  test(`${name} gives the model exactly the input of the JPEG it wraps`, async () => {
    const dicom = await preprocess(readFileSync(c.path()), SPEC);
    // The NORMAL originals carry an ICC profile that the wrapper (and the published 224x224 copy)
    // dropped; the pixels are what must agree.
    const original = await preprocess(withoutAppSegments(readFileSync(c.original!())), SPEC);
    assert.deepEqual(dicom, original);
  });
}

test('the wrapped Kermany images match the 224x224 training copies the model learned from', async () => {
  const pairs = [
    ['dicom/kermany_train_NORMAL_IM-0117-0001_jpegbaseline.dcm', 'kermany224-train/NORMAL/IM-0117-0001.jpeg'],
    ['dicom/kermany_train_PNEUMONIA_person1003_virus_1685_explicitLE.dcm', 'kermany224-train/PNEUMONIA/person1003_virus_1685.jpeg'],
  ];
  for (const [dcm, jpeg] of pairs) {
    const a = await preprocess(readFileSync(shared(dcm!)), SPEC);
    const b = await preprocess(readFileSync(shared(jpeg!)), SPEC);
    // Resampled and re-encoded by whoever published the copy, so close rather than equal.
    let signed = 0;
    let abs = 0;
    for (let i = 0; i < a.length; i++) {
      signed += a[i]! - b[i]!;
      abs += Math.abs(a[i]! - b[i]!);
    }
    assert.ok(Math.abs(signed / a.length) < 0.01, `${dcm}: mean shift ${signed / a.length}`);
    assert.ok(abs / a.length < 0.05, `${dcm}: mean absolute difference ${abs / a.length}`);
  }
});
