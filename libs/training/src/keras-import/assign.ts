import * as tf from '@tensorflow/tfjs';
import type { SourceLayer, SourceWeight, WeightSource } from './weight-source';

/** A source that does not fit the architecture; `layer` (and `weight`) name the first misfit. */
export class WeightImportError extends Error {
  constructor(
    message: string,
    readonly layer: string,
    readonly weight?: string,
  ) {
    super(message);
    this.name = 'WeightImportError';
  }
}

export interface AssignReport {
  /** Model layers that received weights. */
  layersMatched: number;
  params: number;
  /** Source layers with weights that no model layer took (e.g. a classifier top). */
  ignoredLayers: string[];
}

/**
 * Sets every weight of `model` from `source`, matched by layer name, after checking all of them:
 * on any misfit nothing is changed and the error names the first layer in model order that is
 * missing or whose weights differ in number or shape.
 */
export function assignWeights(model: tf.LayersModel, source: WeightSource, label: string): AssignReport {
  const byName = new Map(source.layers.map((l) => [l.name, l]));
  const assignments: Array<{ layer: tf.layers.Layer; values: SourceWeight[] }> = [];
  for (const layer of model.layers) {
    if (layer.weights.length === 0) continue;
    const wanted = layer.weights.map((w) => ({ name: shortName(w.originalName), shape: w.shape }));
    const describe = wanted.map((w) => `${w.name} [${w.shape}]`).join(', ');
    const found = byName.get(layer.name);
    if (!found) {
      throw new WeightImportError(
        `${label} does not fit ${model.name}: layer "${layer.name}" (${describe}) is not in it; ` +
          `its layers with weights are ${preview(source.layers)}`,
        layer.name,
      );
    }
    const values = inModelOrder(
      found,
      wanted.map((w) => w.name),
    );
    if (values.length !== wanted.length) {
      throw new WeightImportError(
        `${label} does not fit ${model.name}: layer "${layer.name}" needs ${wanted.length} weights (${describe}), ` +
          `the file has ${values.length} (${values.map((v) => `${v.name} [${v.shape}]`).join(', ')})`,
        layer.name,
      );
    }
    wanted.forEach((w, i) => {
      const v = values[i]!;
      if (!sameShape(w.shape, v.shape)) {
        throw new WeightImportError(
          `${label} does not fit ${model.name}: layer "${layer.name}" weight "${w.name}" must be [${w.shape}], ` +
            `the file's ${v.name} is [${v.shape}]`,
          layer.name,
          w.name,
        );
      }
    });
    assignments.push({ layer, values });
  }
  for (const { layer, values } of assignments) {
    const tensors = values.map((v) => tf.tensor(v.values, v.shape, 'float32'));
    layer.setWeights(tensors);
    tf.dispose(tensors);
  }
  const used = new Set(assignments.map((a) => a.layer.name));
  return {
    layersMatched: assignments.length,
    params: assignments.reduce((n, a) => n + a.values.reduce((m, v) => m + v.values.length, 0), 0),
    ignoredLayers: source.layers.filter((l) => !used.has(l.name)).map((l) => l.name),
  };
}

/**
 * By variable name where the source uses Keras 2 names (`kernel`, `gamma`, `moving_mean`...), which
 * protects same-shaped weights such as batch-norm statistics from a reordering; else in stored
 * order, as Keras 1 files (`block1_conv1_W_1`) only allow.
 */
function inModelOrder(layer: SourceLayer, wanted: string[]): SourceWeight[] {
  const byShort = new Map(layer.weights.map((w) => [shortName(w.name), w]));
  const named = wanted.map((n) => byShort.get(n));
  return named.every((w): w is SourceWeight => w !== undefined) && layer.weights.length === wanted.length ? named : layer.weights;
}

function shortName(name: string): string {
  return name.slice(name.lastIndexOf('/') + 1);
}

function sameShape(a: readonly (number | null)[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function preview(layers: SourceLayer[]): string {
  const names = layers.slice(0, 6).map((l) => l.name);
  return layers.length === 0 ? 'none' : names.join(', ') + (layers.length > names.length ? `, ... (${layers.length} in all)` : '');
}
