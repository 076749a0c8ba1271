import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { ModelManifest, Preprocessing } from '@pneumoscreen/contracts';
import { architectureByName, buildBackbone, DEFAULT_INPUT_SIZE, preprocessingFor, type ArchitectureName } from '../architectures/backbone';
import { directorySaver } from '../tfjs/directory-io';
import { assignWeights } from './assign';
import { readKerasH5 } from './keras-h5';
import { readTfjsWeights, type SourceFormat, type WeightSource } from './weight-source';

/** Beside model.json in a base-model folder: what it is and where its weights came from. */
export const BASE_MODEL_FILE = 'base.json';

export interface BaseModelInfo {
  kind: 'base';
  /** `<architecture>-<first 12 hex digits of the source's sha256>`: the same weights, the same id. */
  version: string;
  architecture: ModelManifest['architecture'];
  format: 'tfjs-layers';
  modelFile: 'model.json';
  preprocessing: Preprocessing;
  featureLayer: string;
  featureDim: number;
  source: { file: string; format: SourceFormat; sha256: string };
  layersMatched: number;
  params: number;
  /** Source layers with weights the architecture has no use for (e.g. an ImageNet classifier). */
  ignoredLayers: string[];
  createdAt: string;
}

export interface ImportOptions {
  arch: ArchitectureName;
  /** A Keras `.h5` file or a TF.js layers model folder. */
  source: string;
  /** Where the folder goes; default `<outParent>/<version>`. */
  outDir?: string;
  outParent?: string;
  inputSize?: readonly [number, number];
}

/**
 * Builds `arch` in code, fills it with the source's weights (every layer and shape checked) and
 * writes it as a TF.js layers folder (model.json, weights.bin, base.json). The folder appears
 * whole or not at all, and an existing one is never overwritten.
 */
export async function importBaseModel(opts: ImportOptions): Promise<{ dir: string; info: BaseModelInfo }> {
  const arch = architectureByName(opts.arch);
  const inputSize = opts.inputSize ?? DEFAULT_INPUT_SIZE;
  const sourcePath = path.resolve(opts.source);
  const { source, sha256 } = await readSource(sourcePath);
  const version = `${arch.architecture}-${sha256.slice(0, 12)}`;
  const dir = path.resolve(opts.outDir ?? path.join(opts.outParent ?? '.', version));
  if (await exists(dir)) throw new Error(`${dir} already exists; remove it or choose another --out`);

  const model = await buildBackbone(opts.arch, { inputSize });
  try {
    const report = assignWeights(model, source, path.basename(sourcePath));
    const info: BaseModelInfo = {
      kind: 'base',
      version,
      architecture: arch.architecture,
      format: 'tfjs-layers',
      modelFile: 'model.json',
      preprocessing: preprocessingFor(opts.arch, inputSize),
      featureLayer: arch.featureLayer,
      featureDim: arch.featureDim,
      source: { file: path.basename(sourcePath), format: source.format, sha256 },
      ...report,
      createdAt: new Date().toISOString(),
    };
    const tmp = `${dir}.tmp-${process.pid}`;
    await fs.rm(tmp, { recursive: true, force: true });
    await model.save(directorySaver(tmp));
    await fs.writeFile(path.join(tmp, BASE_MODEL_FILE), JSON.stringify(info, null, 2) + '\n');
    await fs.rename(tmp, dir);
    return { dir, info };
  } finally {
    model.dispose();
  }
}

/** The weights and a content hash: of the file, or of model.json and its shards in order. */
async function readSource(sourcePath: string): Promise<{ source: WeightSource; sha256: string }> {
  const stat = await fs.stat(sourcePath).catch(() => null);
  if (!stat) throw new Error(`no such file or folder: ${sourcePath}`);
  const hash = createHash('sha256');
  if (stat.isDirectory()) {
    const modelJson = path.join(sourcePath, 'model.json');
    if (!(await exists(modelJson))) throw new Error(`${sourcePath} is a folder without model.json, so not a TF.js layers model`);
    const source = await readTfjsWeights(sourcePath);
    hash.update(await fs.readFile(modelJson));
    const manifest = (JSON.parse(await fs.readFile(modelJson, 'utf8')) as { weightsManifest: Array<{ paths: string[] }> }).weightsManifest;
    for (const group of manifest) for (const shard of group.paths) hash.update(await fs.readFile(path.join(sourcePath, shard)));
    return { source, sha256: hash.digest('hex') };
  }
  const bytes = await fs.readFile(sourcePath);
  return { source: readKerasH5(bytes, path.basename(sourcePath)), sha256: hash.update(bytes).digest('hex') };
}

async function exists(p: string): Promise<boolean> {
  return fs.access(p).then(
    () => true,
    () => false,
  );
}
