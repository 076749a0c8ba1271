import type * as tf from '@tensorflow/tfjs';
import type { ModelManifest, Preprocessing } from '@pneumoscreen/contracts';
import { initWasmBackend } from '@pneumoscreen/tfjs';
import { buildMobilenetV1 } from './mobilenet-v1';
import { buildVgg16 } from './vgg16';

export type ArchitectureName = 'vgg16' | 'mobilenet';

export interface Architecture {
  /** As recorded in manifests. */
  architecture: ModelManifest['architecture'];
  /** The backbone's last layer, where a head goes. */
  featureLayer: string;
  /** Channels of the feature layer. */
  featureDim: number;
  /** How pixels must be prepared for the ImageNet weights this architecture was trained with. */
  preprocessingMode: Preprocessing['mode'];
  /** First layer of the top block: fine-tuning "the top block" trains it and everything after. */
  topBlockStart: string;
  build: (inputSize: readonly [number, number]) => tf.LayersModel;
}

/** Backbones that can be built in code (and so take imported weights), by their CLI name. */
export const ARCHITECTURES: Record<ArchitectureName, Architecture> = {
  vgg16: {
    architecture: 'vgg16',
    featureLayer: 'block5_pool',
    featureDim: 512,
    preprocessingMode: 'caffe',
    topBlockStart: 'block5_conv1',
    build: buildVgg16,
  },
  mobilenet: {
    architecture: 'mobilenet_v1_0.75',
    featureLayer: 'conv_pw_13_relu',
    featureDim: 768,
    preprocessingMode: 'mobilenet',
    topBlockStart: 'conv_dw_13',
    build: buildMobilenetV1,
  },
};

export const DEFAULT_INPUT_SIZE: readonly [number, number] = [224, 224];
/** Five stride-2 stages: anything smaller has no pixels left at the feature layer. */
const MIN_INPUT_SIZE = 32;

export function architectureByName(name: string): Architecture {
  if (!Object.hasOwn(ARCHITECTURES, name)) {
    throw new Error(`unknown architecture "${name}" (known: ${Object.keys(ARCHITECTURES).join(', ')})`);
  }
  return ARCHITECTURES[name as ArchitectureName];
}

export function preprocessingFor(arch: ArchitectureName, inputSize: readonly [number, number] = DEFAULT_INPUT_SIZE): Preprocessing {
  return { mode: ARCHITECTURES[arch].preprocessingMode, inputSize: [inputSize[0], inputSize[1]], channels: 3 };
}

/** A backbone with freshly initialised weights, on the WASM backend. */
export async function buildBackbone(
  arch: ArchitectureName,
  { inputSize = DEFAULT_INPUT_SIZE }: { inputSize?: readonly [number, number] } = {},
): Promise<tf.LayersModel> {
  if (!inputSize.every((s) => Number.isInteger(s) && s >= MIN_INPUT_SIZE)) {
    throw new Error(`input size ${inputSize.join('x')} is too small: ${arch} needs at least ${MIN_INPUT_SIZE}x${MIN_INPUT_SIZE}`);
  }
  await initWasmBackend();
  return architectureByName(arch).build(inputSize);
}
