import * as hdf5 from 'jsfive';
import { groupByLayer, type SourceLayer, type SourceWeight, type WeightSource } from './weight-source';

const HDF5_SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

export function isHdf5(bytes: Uint8Array): boolean {
  return Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(8, bytes.byteLength)).equals(HDF5_SIGNATURE);
}

/**
 * Reads the weights of a Keras 1/2 `.h5` file: a weights-only file (`save_weights`, e.g.
 * `vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5`: root attribute `layer_names`, one group per
 * layer with attribute `weight_names`) or a whole saved model (the same under `model_weights`).
 * A nested model (a Sequential holding a Functional) is one group whose weights belong to many
 * layers; those are split by the layer name inside each weight name.
 */
export function readKerasH5(bytes: Uint8Array, label: string): WeightSource {
  if (!isHdf5(bytes)) throw new Error(`${label} is not an HDF5 file (no HDF5 signature at its start)`);
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  let file: hdf5.File;
  try {
    file = new hdf5.File(buffer, label);
  } catch (err) {
    throw new Error(`${label}: unreadable HDF5 file: ${String(err)}`);
  }
  const isModel = file.keys.includes('model_weights');
  const root = isModel ? member(file, 'model_weights', label) : file;
  if (!(root instanceof hdf5.Group)) throw new Error(`${label}: model_weights is not a group`);
  const layerNames = stringListAttr(root, 'layer_names');
  if (!layerNames) {
    throw new Error(
      `${label} is not a Keras weights file: it has no "layer_names" attribute (Keras 3 ".weights.h5" files are not supported)`,
    );
  }
  const layers: SourceLayer[] = [];
  for (const layerName of layerNames) {
    const group = member(root, layerName, label);
    if (!(group instanceof hdf5.Group)) throw new Error(`${label}: layer "${layerName}" is not a group`);
    const weights = (stringListAttr(group, 'weight_names') ?? []).map((name) => readWeight(group, name, label));
    if (weights.length === 0) continue;
    const inner = groupByLayer(weights, () => layerName);
    // Keras maps a layer's weights by its group, whatever the variables were called.
    layers.push(...(inner.length === 1 ? [{ name: layerName, weights }] : inner));
  }
  return { format: isModel ? 'keras-h5-model' : 'keras-h5-weights', layers };
}

function readWeight(group: hdf5.Group, weightName: string, label: string): SourceWeight {
  const dataset = member(group, weightName, label);
  const where = `${label}: ${group.name}/${weightName}`;
  if (!(dataset instanceof hdf5.Dataset)) throw new Error(`${where} is not a dataset`);
  if (typeof dataset.dtype !== 'string' || !/^[<>=|]?f[248]$/.test(dataset.dtype)) {
    throw new Error(`${where} holds ${JSON.stringify(dataset.dtype)}, not floating-point weights`);
  }
  const values = Float32Array.from(dataset.value);
  const shape = [...dataset.shape];
  if (values.length !== shape.reduce((a, b) => a * b, 1)) throw new Error(`${where}: ${values.length} values for shape [${shape}]`);
  // Storage that was never written reads back as NaN: better refused here than served.
  if (!values.every(Number.isFinite)) throw new Error(`${where} holds values that are not finite numbers`);
  return { name: weightName.replace(/:\d+$/, ''), shape, values };
}

function member(group: hdf5.Group, path: string, label: string): hdf5.Group | hdf5.Dataset {
  try {
    return group.get(path);
  } catch {
    throw new Error(`${label}: ${group.name === '/' ? '' : group.name}/${path} is missing`);
  }
}

/**
 * A list-of-strings attribute. Keras splits one larger than HDF5's 64 KiB attribute limit into
 * `name0`, `name1`, ...; h5py gives fixed-length strings NUL-padded.
 */
function stringListAttr(group: hdf5.Group, name: string): string[] | undefined {
  const attrs = group.attrs;
  const parts: unknown[] = [];
  if (name in attrs) parts.push(attrs[name]);
  else for (let i = 0; `${name}${i}` in attrs; i++) parts.push(attrs[`${name}${i}`]);
  if (parts.length === 0) return undefined;
  return parts.flatMap((p) => (Array.isArray(p) ? p : [p])).map((s) => decode(s).replace(/\0+$/, ''));
}

function decode(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  throw new Error(`expected a string attribute, got ${typeof value}`);
}
