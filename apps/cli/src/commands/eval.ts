import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import type { BinaryMetrics } from '@pneumoscreen/contracts';
import { preprocess } from '@pneumoscreen/imaging';
import { binaryMetrics, listDataset, loadModelVersion, resolveModelDir, testTimeAugmentation } from '@pneumoscreen/model';

/** apps/cli/dist/commands -> repository root. */
const REPO_ROOT = path.resolve(__dirname, '../../../..');
const BATCH = 16;

const USAGE = `usage: pneumoscreen eval --data DIR [--model PATH] [--tta] [--json]
  --data DIR     labelled images in NORMAL/ and PNEUMONIA/ folders (any depth)
  --model PATH   version folder, or registry folder with CURRENT (default models/releases)
  --tta          average the model over the test-time augmentation views it was validated with,
                 at the threshold chosen for them on validation (workers serve plain images only)
  --json         print one JSON object instead of a table
`;

/** `pneumoscreen eval`: scores every labelled image and reports the metrics at the model's own
 * threshold (or, with --tta, the one chosen on validation for its averaged views). */
export async function evalCommand(argv: string[]): Promise<number> {
  let values;
  try {
    values = parseArgs({
      args: argv,
      strict: true,
      options: {
        data: { type: 'string' },
        model: { type: 'string' },
        tta: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }).values;
  } catch (err) {
    return usageError((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (!values.data) return usageError('--data is required');

  const images = await listDataset(values.data);
  const { manifest, engine } = await loadModelVersion(await resolveModelDir(values.model ?? path.join(REPO_ROOT, 'models/releases')));
  let tta;
  try {
    tta = values.tta ? testTimeAugmentation(manifest) : undefined;
  } catch (err) {
    await engine.dispose();
    throw err;
  }
  const views = tta?.views ?? [(bytes: Buffer) => preprocess(bytes, manifest.preprocessing)];
  const scores = new Float32Array(images.length);
  const started = Date.now();
  try {
    for (let i = 0; i < images.length; i += BATCH) {
      const chunk = images.slice(i, i + BATCH);
      for (const view of views) {
        const inputs = await Promise.all(
          chunk.map(async (image) => {
            try {
              return await view(await readFile(image.path));
            } catch (err) {
              throw new Error(`${path.relative(values.data!, image.path)}: ${(err as Error).message}`);
            }
          }),
        );
        const batch = new Float32Array(inputs.reduce((n, x) => n + x.length, 0));
        inputs.forEach((x, j) => batch.set(x, j * x.length));
        (await engine.predict(batch, chunk.length)).forEach((p, j) => (scores[i + j]! += p / views.length));
      }
      if (!values.json) process.stderr.write(`\rscored ${i + chunk.length}/${images.length}`);
    }
  } finally {
    await engine.dispose();
  }
  const metrics = binaryMetrics(scores, images.map((i) => i.label), tta?.threshold ?? manifest.threshold);
  if (values.json) {
    process.stdout.write(JSON.stringify({ ...metrics, modelVersion: manifest.version, ...(tta ? { ttaViews: views.length } : {}) }) + '\n');
  } else {
    process.stderr.write(` in ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
    process.stdout.write(table(metrics, manifest.version + (tta ? ` (test-time augmentation, ${views.length} views)` : '')));
  }
  return 0;
}

function table(m: BinaryMetrics, version: string): string {
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  const c = m.confusion;
  return [
    `model        ${version}`,
    `n            ${m.n} (${c.tp + c.fn} PNEUMONIA, ${c.tn + c.fp} NORMAL)`,
    `threshold    ${m.threshold.toFixed(4)}`,
    `accuracy     ${pct(m.accuracy)}`,
    `sensitivity  ${pct(m.sensitivity)}`,
    `specificity  ${pct(m.specificity)}`,
    `AUC          ${m.auc.toFixed(4)}`,
    `confusion    predicted PNEUMONIA  predicted NORMAL`,
    `  PNEUMONIA  ${String(c.tp).padStart(19)}  ${String(c.fn).padStart(16)}`,
    `  NORMAL     ${String(c.fp).padStart(19)}  ${String(c.tn).padStart(16)}`,
    '',
  ].join('\n');
}

function usageError(message: string): number {
  process.stderr.write(`eval: ${message}\n\n${USAGE}`);
  return 2;
}
