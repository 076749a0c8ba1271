import { cp, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { ModelManifest } from '@pneumoscreen/contracts';
import type { ObjectStore } from '@pneumoscreen/storage';
import { repoRoot } from '@pneumoscreen/testing';
import { DirectoryObjectStore } from './directory-object-store';
import { CURRENT_FILE } from '@pneumoscreen/model-format';
import { ModelRegistry } from './model-registry';

export const TEST_MODEL = 'pneumoscreen-pneumonia';
export const REGISTRY_BUCKET = 'registry';
export const T0 = new Date('2026-02-01T10:00:00.000Z');

/**
 * A registry over a fresh folder (wrapped by `store` when given), a second folder to write versions
 * in, the path of a stored key, and a clock that starts at T0 and moves only by `advance`.
 */
export async function registryInFolder(o: { name?: string; store?: (inner: ObjectStore) => ObjectStore } = {}) {
  const name = o.name ?? TEST_MODEL;
  const root = await mkdtemp(path.join(tmpdir(), 'model-registry-'));
  const local = await mkdtemp(path.join(tmpdir(), 'model-versions-'));
  const inner = new DirectoryObjectStore(root);
  let now = T0;
  const registry = new ModelRegistry({
    store: o.store ? o.store(inner) : inner,
    bucket: REGISTRY_BUCKET,
    prefix: 'models/',
    name,
    now: () => now,
  });
  const stored = (key: string) => path.join(root, REGISTRY_BUCKET, 'models', name, key);
  return { registry, local, stored, advance: (ms: number) => (now = new Date(now.getTime() + ms)) };
}

export interface FakeVersion {
  version: string;
  createdAt?: string;
  parentVersion?: string | null;
  auc?: number;
  name?: string;
}

/** Global average pooling and one sigmoid unit: a model small enough to make up, that the ONNX
 * exporter converts as it does a trained one. */
const TINY_MODEL = {
  modelTopology: {
    class_name: 'Sequential',
    config: {
      name: 'tiny',
      layers: [
        {
          class_name: 'GlobalAveragePooling2D',
          config: { name: 'pool', batch_input_shape: [null, 224, 224, 3], data_format: 'channels_last' },
        },
        { class_name: 'Dense', config: { name: 'head', units: 1, activation: 'sigmoid', use_bias: true } },
      ],
    },
  },
  weightsManifest: [
    {
      paths: ['weights.bin'],
      weights: [
        { name: 'head/kernel', shape: [3, 1], dtype: 'float32' },
        { name: 'head/bias', shape: [1], dtype: 'float32' },
      ],
    },
  ],
};

/** TINY_MODEL's weights, different for every version. */
export function tinyWeights(version: string): Buffer {
  const bias = [...version].reduce((h, c) => (h * 31 + c.charCodeAt(0)) % 1000, 7) / 1000;
  return Buffer.from(Float32Array.from([0.5, -0.25, 1, bias]).buffer);
}

/** A version folder as training writes one, with a made-up tiny model: enough for everything in
 * the registry, publishing with its ONNX export included. Returns the folder. */
export async function writeFakeVersion(root: string, v: FakeVersion): Promise<string> {
  const dir = path.join(root, v.version);
  await mkdir(path.join(dir, 'plots'), { recursive: true });
  const validation: ModelManifest['metrics'] =
    v.auc === undefined
      ? {}
      : {
          validation: {
            n: 10,
            accuracy: 0.9,
            sensitivity: 0.95,
            specificity: 0.85,
            auc: v.auc,
            threshold: 0.4,
            confusion: { tp: 5, fp: 1, tn: 3, fn: 1 },
          },
        };
  const manifest: ModelManifest = {
    name: v.name ?? TEST_MODEL,
    version: v.version,
    architecture: 'mobilenet_v1_0.75',
    format: 'tfjs-layers',
    modelFile: 'model.json',
    preprocessing: { mode: 'mobilenet', inputSize: [224, 224], channels: 3 },
    classes: ['NORMAL', 'PNEUMONIA'],
    threshold: 0.4,
    metrics: validation,
    data: {},
    parentVersion: v.parentVersion ?? null,
    codeVersion: 'test',
    createdAt: v.createdAt ?? '2026-01-01T00:00:00.000Z',
  };
  await writeFile(path.join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  await writeFile(path.join(dir, 'model.json'), JSON.stringify(TINY_MODEL));
  await writeFile(path.join(dir, 'weights.bin'), tinyWeights(v.version));
  await writeFile(path.join(dir, 'metrics.json'), JSON.stringify(validation));
  await writeFile(path.join(dir, 'plots', 'roc.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47]));
  return dir;
}

/** A private copy of the committed release's CURRENT version folder, and its version. */
export async function copyRelease(): Promise<{ dir: string; version: string }> {
  const releases = path.join(repoRoot(), 'models/releases');
  const version = (await readFile(path.join(releases, CURRENT_FILE), 'utf8')).trim();
  const dir = path.join(await mkdtemp(path.join(tmpdir(), 'release-')), version);
  await cp(path.join(releases, version), dir, { recursive: true });
  return { dir, version };
}
