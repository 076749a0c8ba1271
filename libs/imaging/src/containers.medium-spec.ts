import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildContainerVariants, decompressWithToolkit, renderWithDcmtk, sharedDir, type VariantSet } from '@pneumoscreen/testing';
import { ImageDecodeError } from './errors';
import { decodePixels, decodeToRgb } from './preprocess';

/** 1232x952: large enough that a 224-px resize shrinks it 4x, where libvips decodes JPEGs at reduced
 * scale; as a bare JPEG it used to score 0.925 against 0.891 as any lossless DICOM of its pixels. */
const SOURCE = () => join(sharedDir(), 'data/kermany-original-sample/PNEUMONIA/person1110_bacteria_3051.jpeg');

function differing(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n;
}

describe('one radiograph in every container DCMTK and GDCM write', () => {
  let set: VariantSet;
  let pngInput: Uint8Array;

  before(async () => {
    set = await buildContainerVariants(SOURCE(), await mkdtemp(join(tmpdir(), 'containers-')));
    pngInput = await decodeToRgb(await readFile(set.variants.find((v) => v.name === 'PNG')!.file), [224, 224]);
  });

  test("the generator made what it meant to: DCMTK displays every lossless DICOM file as the JPEG's pixels", async () => {
    for (const v of set.variants.filter((v) => v.render && !v.lossy)) {
      assert.equal(differing((await renderWithDcmtk(v)).grey, set.reference.grey), 0, `${v.name}: DCMTK's own rendering differs`);
    }
  });

  test('every container decodes to exactly the pixels DCMTK displays', async () => {
    for (const v of set.variants) {
      const pixels = await decodePixels(await readFile(v.file));
      assert.deepEqual([pixels.width, pixels.height, pixels.channels], [set.reference.width, set.reference.height, 1], v.name);
      // A lossy file's pixels are what the toolkit decodes it to (DCMTK's display of those rounds
      // windowed values down, this reader to the nearest level, so its own samples are compared).
      const expected = v.lossy
        ? (await decodePixels(await readFile(await decompressWithToolkit(v, `${v.file}.decompressed`)))).data
        : set.reference.grey;
      assert.equal(differing(pixels.data, expected), 0, `${v.name}: pixels differ from DCMTK's`);
    }
  });

  test("and every lossless container, the bare JPEG included, gives the model the PNG's input", async () => {
    for (const v of set.variants.filter((v) => !v.lossy)) {
      const input = await decodeToRgb(await readFile(v.file), [224, 224]);
      assert.equal(differing(input, pngInput), 0, `${v.name}: model input differs from the PNG's`);
    }
  });

  test('a DCMTK file whose Columns say 10 less than its data holds is refused; one cut short is truncated', async () => {
    const explicit = set.variants.find((v) => v.name === 'DICOM explicit VR little endian')!.file;
    const narrower = `${explicit}.narrower.dcm`;
    await copyFile(explicit, narrower);
    await promisify(execFile)('dcmodify', ['-nb', '-m', `(0028,0011)=${set.reference.width - 10}`, narrower]);
    const refused = (bytes: Buffer, message: RegExp) =>
      assert.rejects(
        decodePixels(bytes),
        (err: unknown) => err instanceof ImageDecodeError && err.reason === 'corrupt' && message.test(err.message),
      );
    await refused(
      await readFile(narrower),
      /more than the \d+ that 1 frame of 1222x952 at 8 bits needs; the header does not describe these pixels/,
    );
    const whole = await readFile(explicit);
    await refused(whole.subarray(0, whole.length - 1000), /truncated/);
  });

  test('a DCMTK 12-bit lossy JPEG (process 4) is refused as unsupported, with what to send instead', async () => {
    const bits12 = set.variants.find((v) => v.name === 'DICOM 16-bit, 12 stored, window')!.file;
    const extended = `${bits12}.extended.dcm`;
    await promisify(execFile)('dcmcjpeg', ['--encode-extended', bits12, extended]);
    await assert.rejects(decodePixels(await readFile(extended)), (err: unknown) => {
      assert.ok(err instanceof ImageDecodeError && err.reason === 'unsupported-format', String(err));
      assert.match(
        err.message,
        /12-bit lossy JPEG \(process 4\) is not supported \(8-bit only\); JPEG lossless, JPEG-LS or JPEG 2000 carry 12 bits/,
      );
      return true;
    });
  });
});
