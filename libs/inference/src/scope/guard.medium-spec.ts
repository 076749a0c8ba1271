import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, sharedDir } from '@pneumoscreen/testing';
import { decodeToRgb, normalise } from '@pneumoscreen/imaging';
import { loadModelVersion } from '../load-version';
import { resolveModelDir } from '@pneumoscreen/model-format';
import { ScopeGuard } from './guard';
import { contentVerdict, headerVerdict, intendedUseOf } from './judge';

const shared = (name: string) => readFileSync(join(sharedDir(), 'data/dicom', name));
const fixture = (name: string) => readFileSync(join(repoRoot(), 'libs/imaging/fixtures/dicom', name));
const samples = [
  'demo-normal-a/IM-0117-0001.jpeg',
  'demo-normal-b/IM-0133-0001.jpeg',
  'demo-pneumonia-a/person1003_virus_1685.jpeg',
  'demo-pneumonia-b/person1026_bacteria_2957.jpeg',
];

/** The nhsx file's Modality is OT, which the decoder refuses outright; for its pixels alone, CR. */
function asRadiograph(bytes: Buffer): Buffer {
  const copy = Buffer.from(bytes);
  const at = copy.indexOf(Buffer.from([0x08, 0x00, 0x60, 0x00, 0x02, 0x00, 0x00, 0x00, 0x4f, 0x54]));
  assert.ok(at >= 0, 'Modality OT found');
  copy.write('CR', at + 8, 'latin1');
  return copy;
}

test('the released guard: adult and non-chest DICOMs refused by header, and refused or flagged by their pixels alone; in-scope films pass unflagged', async () => {
  const dir = await resolveModelDir(join(repoRoot(), 'models/releases'));
  const { manifest, engine } = await loadModelVersion(dir, { engine: 'onnxruntime' });
  const guard = await ScopeGuard.load(dir);
  assert.ok(guard, 'the release has a guard');
  const use = intendedUseOf(manifest);
  assert.deepEqual(use.population, { minAgeYears: 0, maxAgeYears: 17 });
  const content = async (bytes: Buffer) => {
    const x = normalise(await decodeToRgb(bytes, manifest.preprocessing.inputSize), manifest.preprocessing.mode);
    const { features, featureDim } = await engine.score!(x, 1);
    const scores = guard.score(features!.subarray(0, featureDim));
    return contentVerdict(guard, scores)?.reason ?? (guard.flag(scores) ? 'flagged' : null);
  };
  try {
    const nih = shared('nih_cxr_nofinding_DX_nhsx.dcm');
    const nhsx = fixture('nhsx_sample.dcm');
    assert.equal(headerVerdict(nih, use)?.reason, 'adult', 'PatientAge 81');
    assert.equal(headerVerdict(shared('RG1_J2KI.dcm'), use)?.reason, 'adult', 'born 1940, studied 2004');
    assert.equal(headerVerdict(nhsx, use)?.reason, 'not-radiograph', 'Modality OT');
    assert.notEqual(await content(nih), null, 'the adult NIH film, as a header-less export would arrive');
    assert.notEqual(await content(fixture('CR-MONO1-10-chest.dcm')), null, 'an adult CR film with no age in its header');
    assert.notEqual(await content(asRadiograph(nhsx)), null, 'the abdominal radiograph');
    for (const name of [
      'kermany_train_NORMAL_IM-0117-0001_jpegbaseline.dcm',
      'kermany_train_PNEUMONIA_person1003_virus_1685_explicitLE.dcm',
    ]) {
      assert.equal(headerVerdict(shared(name), use), null, name);
      assert.equal(await content(shared(name)), null, name);
    }
    for (const sample of samples) assert.equal(await content(readFileSync(join(repoRoot(), 'samples/studies', sample))), null, sample);
  } finally {
    await engine.dispose();
  }
});
