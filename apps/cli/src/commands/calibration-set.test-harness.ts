import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { repoRoot } from '@pneumoscreen/testing';

const samples = path.join(repoRoot(), 'samples/studies');
const SOURCES = {
  NORMAL: ['demo-normal-a/IM-0117-0001.jpeg', 'demo-normal-b/IM-0133-0001.jpeg'],
  PNEUMONIA: ['demo-pneumonia-a/person1003_virus_1685.jpeg', 'demo-pneumonia-b/person1026_bacteria_2957.jpeg'],
};

/** A different crop and exposure of a sample X-ray for each k, so the set's scores spread out. */
async function variant(bytes: Buffer, k: number): Promise<Buffer> {
  const { width = 0, height = 0 } = await sharp(bytes).metadata();
  const w = Math.round(width * (0.8 + 0.03 * k));
  const h = Math.round(height * (0.82 + 0.025 * k));
  return sharp(bytes)
    .extract({ left: Math.round(((width - w) * (k % 3)) / 2), top: Math.round((height - h) * (k % 2)), width: w, height: h })
    .modulate({ brightness: 0.85 + 0.05 * k })
    .jpeg({ quality: 90 })
    .toBuffer();
}

/** `perSample` variants of each sample under DIR/NORMAL and DIR/PNEUMONIA. */
export async function labelledSet(perSample: { NORMAL: number; PNEUMONIA: number }): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'calibration-set-'));
  for (const label of ['NORMAL', 'PNEUMONIA'] as const) {
    await mkdir(path.join(dir, label));
    for (const [s, file] of SOURCES[label].entries()) {
      const bytes = await readFile(path.join(samples, file));
      for (let k = 0; k < perSample[label]; k++) await writeFile(path.join(dir, label, `${s}-${k}.jpeg`), await variant(bytes, k));
    }
  }
  return dir;
}
