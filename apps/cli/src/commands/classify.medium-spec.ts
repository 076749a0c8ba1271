import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { buildContainerVariants, decompressWithToolkit, repoRoot, sharedDir, type VariantSet } from '@pneumoscreen/testing';

const main = path.join(repoRoot(), 'apps/cli/dist/main.js');

interface Row {
  file: string;
  probability?: number;
  error?: string;
}

/** Runs `pneumoscreen classify ... --json` offline (no Redis or S3), on the released model. */
async function classify(args: string[], env: Record<string, string> = {}): Promise<{ code: number | string; rows: Row[]; err: string }> {
  const done = new Promise<{ code: number | string; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [main, 'classify', ...args, '--json'],
      { env: { PATH: process.env['PATH'] ?? '', ...env }, maxBuffer: 64 << 20 },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? String((err as { signal?: string }).signal)) : 0, stdout, stderr }),
    );
  });
  const { code, stdout, stderr } = await done;
  return { code, rows: stdout ? (JSON.parse(stdout) as Row[]) : [], err: stderr };
}

describe('pneumoscreen classify: one radiograph scores the same in every container', () => {
  let set: VariantSet;
  let dir: string;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'classify-containers-'));
    // 1232x952, shrunk 4x or more to 224 px: the bare JPEG once scored 0.925, its PNG 0.891.
    set = await buildContainerVariants(path.join(sharedDir(), 'data/kermany-original-sample/PNEUMONIA/person1110_bacteria_3051.jpeg'), dir);
  });

  test('the JPEG, its PNG and every DICOM encoding get probabilities within 1e-3', async () => {
    // A lossy encoding holds other pixels: it must score as those pixels do uncompressed.
    const lossy = set.variants.filter((v) => v.lossy);
    const plain = new Map(
      await Promise.all(lossy.map(async (v) => [v.file, await decompressWithToolkit(v, `${v.file}.decompressed.dcm`)] as const)),
    );
    const { code, rows, err } = await classify([dir]);
    assert.equal(code, 0, err);
    const p = new Map(rows.map((r) => [r.file, r.probability]));
    const png = p.get(set.variants.find((v) => v.name === 'PNG')!.file)!;
    for (const v of set.variants) {
      const row = rows.find((r) => r.file === v.file);
      assert.ok(row, `${v.name}: no row`);
      assert.equal(row.error, undefined, `${v.name}: ${row.error}`);
      const [want, what] = v.lossy ? [p.get(plain.get(v.file)!)!, 'its pixels uncompressed'] : [png, 'the PNG'];
      assert.ok(Math.abs(row.probability! - want) <= 1e-3, `${v.name}: P = ${row.probability} against ${want} for ${what}`);
    }
    assert.equal(rows.length, set.variants.length + lossy.length);
  });
});

describe('pneumoscreen classify with a long argument list, on every engine', () => {
  let args: string[];

  before(async () => {
    // About 25 KB of arguments. ONNX Runtime's telemetry parsed the command line with a recursive
    // regex: from 14.6 KB on, it overflowed the engine worker thread's 4 MB stack (SIGSEGV).
    let dir = await mkdtemp(path.join(tmpdir(), 'classify-long-args-'));
    for (const part of ['a', 'b', 'c']) dir = path.join(dir, part.repeat(200));
    await mkdir(dir, { recursive: true });
    const normals = path.join(sharedDir(), 'data/kermany224-train/NORMAL');
    const file = path.join(dir, `${'x'.repeat(200)}.jpeg`);
    await copyFile(path.join(normals, (await readdir(normals)).sort()[0]!), file);
    args = Array.from({ length: 30 }, () => file);
    assert.ok(args.join(' ').length > 24_000);
  });

  for (const engine of ['onnxruntime', 'onnxruntime-int8', 'tfjs-wasm']) {
    test(`ENGINE=${engine} classifies every file`, async () => {
      const home = await mkdtemp(path.join(tmpdir(), 'classify-home-'));
      const { code, rows, err } = await classify(args, { ENGINE: engine, HOME: home });
      assert.equal(code, 0, err);
      assert.equal(rows.length, args.length);
      assert.ok(
        rows.every((r) => r.error === undefined && r.probability === rows[0]!.probability),
        'the same file scores the same every time',
      );
      // With its telemetry on, ONNX Runtime keeps a device id and an event database here.
      assert.equal(existsSync(path.join(home, '.cache/Microsoft')), false, 'ONNX Runtime telemetry is off');
    });
  }
});

test('a folder run gives every file a row: HEIC, TIFF and text say they are not supported, a DICOM file without extension is classified', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'classify-folder-'));
  const normals = path.join(sharedDir(), 'data/kermany224-train/NORMAL');
  const jpeg = path.join(normals, (await readdir(normals)).sort()[0]!);
  await copyFile(jpeg, path.join(dir, 'a.jpeg'));
  await mkdir(path.join(dir, 'series'));
  await copyFile(
    path.join(repoRoot(), 'libs/imaging/fixtures/dicom/kermany_train_PNEUMONIA_person1003_virus_1685_jpegbaseline.dcm'),
    path.join(dir, 'series', 'IM000001'),
  );
  const grey = sharp(jpeg).greyscale();
  await writeFile(path.join(dir, 'b.heic'), await grey.clone().heif({ compression: 'av1' }).toBuffer());
  await writeFile(path.join(dir, 'c.tif'), await grey.clone().tiff().toBuffer());
  await writeFile(path.join(dir, 'notes.txt'), 'not an image');
  await writeFile(path.join(dir, '.DS_Store'), 'hidden: left out');
  const { code, rows } = await classify([dir]);
  assert.equal(code, 1, 'a file that could not be classified fails the run');
  const row = (name: string) => rows.find((r) => r.file === path.join(dir, name));
  assert.deepEqual(rows.map((r) => path.relative(dir, r.file)).sort(), [
    'a.jpeg',
    'b.heic',
    'c.tif',
    'notes.txt',
    path.join('series', 'IM000001'),
  ]);
  assert.equal(typeof row('a.jpeg')!.probability, 'number');
  assert.equal(row('series/IM000001')!.error, undefined);
  assert.equal(typeof row('series/IM000001')!.probability, 'number');
  assert.match(row('b.heic')!.error!, /unsupported image format "heif" \(expected JPEG, PNG or DICOM\)/);
  assert.match(row('c.tif')!.error!, /unsupported image format "tiff"/);
  assert.match(row('notes.txt')!.error!, /not a readable image: not JPEG, PNG or DICOM/);
});
