import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { ENGINE_CHOICES, type EngineChoice, type ModelManifest } from '@pneumoscreen/contracts';
import { benchmarkEngine, loadEngine, quantizeVersion } from '@pneumoscreen/inference';
import { buildClassifier, buildVgg16, preprocessingFor } from '@pneumoscreen/training';
import { directorySaver, initWasmBackend } from '@pneumoscreen/tfjs';
import { readManifest } from '@pneumoscreen/model-format';
import { preprocess } from '@pneumoscreen/imaging';

export interface EngineResult {
  engine: string;
  backbone: string;
  batch: number;
  imagesPerSecond: number;
  msPerBatch: number;
}

export interface BenchModel {
  backbone: string;
  versionDir: string;
  manifest: ModelManifest;
}

/**
 * VGG16 as Keras defines it plus the project's head, with random weights: ImageNet weights cannot
 * be had here, and throughput does not depend on the values.
 */
export async function randomVgg16Version(like: ModelManifest, xrays: readonly string[]): Promise<BenchModel & { remove(): Promise<void> }> {
  await initWasmBackend();
  const dir = await mkdtemp(join(tmpdir(), 'bench-vgg16-'));
  const model = buildClassifier(buildVgg16([224, 224]), { seed: 1 });
  await model.save(directorySaver(dir));
  model.dispose();
  tf.disposeVariables();
  const manifest: ModelManifest = {
    ...like,
    version: 'bench-vgg16-random',
    architecture: 'vgg16',
    preprocessing: preprocessingFor('vgg16', [224, 224]),
    metrics: {},
    parentVersion: null,
  };
  await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest));
  if (xrays.length > 0) await quantizeForSpeed(dir, manifest, xrays);
  return { backbone: 'vgg16', versionDir: dir, manifest: await readManifest(dir), remove: () => rm(dir, { recursive: true, force: true }) };
}

/** An int8 model for timing onnxruntime-int8: random weights make its agreement with the float
 * model meaningless, so none is required. */
async function quantizeForSpeed(dir: string, manifest: ModelManifest, xrays: readonly string[]): Promise<void> {
  const images = await Promise.all(xrays.slice(0, 16).map(async (file) => preprocess(await readFile(file), manifest.preprocessing)));
  await quantizeVersion(dir, { calibration: images.slice(0, 8), check: images.slice(8), minAgreement: 0 });
}

/** The engines `benchEngines` tries: every ENGINE choice but `auto` and `onnxruntime-cuda` (which
 * `onnxruntime` already is where CUDA loads), or only `only`. */
export function benchableEngines(only?: string): Array<Exclude<EngineChoice, 'auto'>> {
  const all = ENGINE_CHOICES.filter((c): c is Exclude<EngineChoice, 'auto'> => c !== 'auto');
  if (only === undefined) return all.filter((c) => c !== 'onnxruntime-cuda');
  const chosen = all.filter((c) => c === only);
  if (chosen.length === 0) throw new Error(`--engine must be one of ${all.join(', ')}, not "${only}"`);
  return chosen;
}

/** Each of `choices` that starts here × the given models × batch sizes; engines that cannot start
 * on this host are reported, not fatal. */
export async function benchEngines(
  models: BenchModel[],
  batches: number[],
  iterationsFor: (backbone: string, engine: string, batch: number) => number,
  say: (l: string) => void,
  choices = benchableEngines(),
): Promise<{ results: EngineResult[]; skipped: Record<string, string> }> {
  const results: EngineResult[] = [];
  const skipped: Record<string, string> = {};
  for (const choice of choices) {
    for (const m of models) {
      let engine;
      try {
        engine = await loadEngine(m.versionDir, m.manifest, { engine: choice });
      } catch (e) {
        skipped[choice] = (e as Error).message.split('\n')[0]!;
        break;
      }
      try {
        for (const batch of batches) {
          const r = await benchmarkEngine(engine, batch, iterationsFor(m.backbone, engine.name, batch), m.manifest.preprocessing.inputSize);
          results.push({ engine: r.engine, backbone: m.backbone, batch, imagesPerSecond: r.imagesPerSecond, msPerBatch: r.msPerBatch.mean });
          say(`  ${r.engine} ${m.backbone} batch ${batch}: ${r.imagesPerSecond} images/s, ${r.msPerBatch.mean} ms/batch`);
        }
      } finally {
        await engine.dispose();
      }
    }
  }
  for (const [engine, why] of Object.entries(skipped)) say(`  ${engine}: not available here (${why})`);
  return { results, skipped };
}
