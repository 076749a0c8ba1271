import { test } from 'node:test';
import assert from 'node:assert/strict';
import { patientId, type LabelledImage } from '@pneumoscreen/evaluation';
import type { AppConfig } from '@pneumoscreen/config';
import { runCli } from '../program/program';
import { pickImages } from './models-quantize';

/** 40 patients with 1 to 3 images each, of both classes. */
const images: LabelledImage[] = Array.from({ length: 40 }, (_, p) =>
  Array.from({ length: 1 + (p % 3) }, (_, i): LabelledImage => ({
    path: `/d/${p % 2 ? 'PNEUMONIA' : 'NORMAL'}/person${p}_x_${i}.jpeg`,
    label: (p % 2) as 0 | 1,
    sha256: `${p}-${i}`,
  })),
).flat();

test('calibration and check images come from different patients, both classes in each', () => {
  const { calibration, check } = pickImages(images, 10, 12);
  assert.equal(calibration.length, 10);
  assert.equal(check.length, 12);
  const patients = (set: LabelledImage[]) => new Set(set.map((i) => patientId(i.path)));
  const shared = [...patients(calibration)].filter((p) => patients(check).has(p));
  assert.deepEqual(shared, []);
  for (const set of [calibration, check]) assert.deepEqual(new Set(set.map((i) => i.label)), new Set([0, 1]));
  assert.deepEqual(pickImages(images, 10, 12), { calibration, check }, 'the same images on every run');
});

test('usage errors name the problem and exit 2', async () => {
  const run = async (argv: string[]) => {
    let err = '';
    const code = await runCli(['models', 'quantize', ...argv], {
      config: (): AppConfig => assert.fail('read no settings'),
      out: () => undefined,
      err: (t) => void (err += t),
    });
    return { code, err: err.split('\n')[0] };
  };
  assert.deepEqual(await run(['dir']), { code: 2, err: "error: required option '--data <images>' not specified" });
  assert.deepEqual(await run(['dir', '--data', 'x', '--weight-bits', '4']), {
    code: 2,
    err: 'error: --weight-bits must be 7 or 8, not "4"',
  });
  assert.deepEqual(await run(['dir', '--data', 'x', '--calibration', '0']), {
    code: 2,
    err: 'error: --calibration must be a whole number of at least 1, not "0"',
  });
  assert.deepEqual(await run(['--data', 'x']), { code: 2, err: "error: missing required argument 'dir'" });
});
