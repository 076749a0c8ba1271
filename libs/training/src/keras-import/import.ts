import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { BaseModelManifest } from '@pneumoscreen/contracts';
import { architectureByName, buildBackbone, DEFAULT_INPUT_SIZE, preprocessingFor, type ArchitectureName } from '../architectures/backbone';
import { BASE_MODEL_FILE } from '@pneumoscreen/model-format';
import { directorySaver } from '@pneumoscreen/tfjs';
import { assignWeights } from './assign';
import { readKerasH5 } from './keras-h5';
import { readTfjsWeights, type WeightSource } from './weight-source';

export { BASE_MODEL_FILE };

/** The description of an imported base model, kept beside its model.json as base.json. */
export type BaseModelInfo = BaseModelManifest;

export interface ImportOptions {
  arch: ArchitectureName;
  /** A Keras `.h5` file or a TF.js layers model folder. */
  source: string;
  /** Where the folder goes; default `<outParent>/<version>`. */
  outDir?: string;
  outParent?: string;
  inputSize?: readonly [number, number];
}

/** A source's weights, read and hashed, with the version id an import of them gets. */
export interface BaseSource {
  arch: ArchitectureName;
  inputSize: readonly [number, number];
  path: string;
  weights: WeightSource;
  sha256: string;
  /** `<architecture>-<first 12 hex digits of the source's sha256>`, plus `-<H>x<W>` for an input
   * size other than the default: the same import, the same id. */
  version: string;
}

export async function readBaseSource(opts: Pick<ImportOptions, 'arch' | 'source' | 'inputSize'>): Promise<BaseSource> {
  const arch = architectureByName(opts.arch);
  const inputSize = opts.inputSize ?? DEFAULT_INPUT_SIZE;
  const sourcePath = path.resolve(opts.source);
  const { source, sha256 } = await readSource(sourcePath);
  const size = inputSize[0] === DEFAULT_INPUT_SIZE[0] && inputSize[1] === DEFAULT_INPUT_SIZE[1] ? '' : `-${inputSize[0]}x${inputSize[1]}`;
  return {
    arch: opts.arch,
    inputSize,
    path: sourcePath,
    weights: source,
    sha256,
    version: `${arch.architecture}-${sha256.slice(0, 12)}${size}`,
  };
}

/**
 * Builds `arch` in code, fills it with the source's weights (every layer and shape checked) and
 * writes it as a TF.js layers folder (model.json, weights.bin, base.json). The folder appears
 * whole or not at all, and an existing one is never overwritten.
 */
export async function importBaseModel(opts: ImportOptions): Promise<{ dir: string; info: BaseModelInfo }> {
  const source = await readBaseSource(opts);
  const dir = path.resolve(opts.outDir ?? path.join(opts.outParent ?? '.', source.version));
  return { dir, info: await writeBaseModel(source, dir) };
}

export async function writeBaseModel(src: BaseSource, dir: string): Promise<BaseModelInfo> {
  if (await exists(dir)) throw new Error(`${dir} already exists; remove it or choose another --out`);
  const arch = architectureByName(src.arch);
  const model = await buildBackbone(src.arch, { inputSize: src.inputSize });
  try {
    const report = assignWeights(model, src.weights, path.basename(src.path));
    const info: BaseModelInfo = {
      kind: 'base',
      version: src.version,
      architecture: arch.architecture,
      format: 'tfjs-layers',
      modelFile: 'model.json',
      preprocessing: preprocessingFor(src.arch, src.inputSize),
      featureLayer: arch.featureLayer,
      featureDim: arch.featureDim,
      source: { file: path.basename(src.path), format: src.weights.format, sha256: src.sha256 },
      ...report,
      createdAt: new Date().toISOString(),
    };
    const tmp = `${dir}.tmp-${process.pid}`;
    await fs.rm(tmp, { recursive: true, force: true });
    await model.save(directorySaver(tmp));
    await fs.writeFile(path.join(tmp, BASE_MODEL_FILE), JSON.stringify(info, null, 2) + '\n');
    await fs.rename(tmp, dir);
    return info;
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
