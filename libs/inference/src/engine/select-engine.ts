import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { AUTO_ENGINE_ORDER, type EngineChoice, type ModelManifest } from '@pneumoscreen/contracts';
import { convertModelDir } from '@pneumoscreen/onnx';
import { ONNX_FILE, INT8_ONNX_FILE } from '@pneumoscreen/model-format';
import type { ModelEngine } from './engine';
import { nvidiaGpuVisible } from './gpu';
import { OnnxEngine } from './onnx-engine';
import { TfjsNodeEngine } from './tfjs-node-engine';
import { TfjsWasmEngine } from './tfjs-wasm-engine';

export interface EngineOptions {
  /** `auto` when absent. */
  engine?: EngineChoice;
  /** Intra-op threads of ONNX Runtime; 0 or absent lets it use one per physical core. */
  threads?: number;
  /** Hears why `auto` passed over an engine, for the start-up log. */
  onSkip?: (engine: Exclude<EngineChoice, 'auto'>, reason: string) => void;
}

/** Starts the engine `opts.engine` names on a version folder. A named engine that cannot start
 * fails; `auto` takes the first of AUTO_ENGINE_ORDER that starts, else TF.js WASM. */
export async function loadEngine(versionDir: string, manifest: ModelManifest, opts: EngineOptions = {}): Promise<ModelEngine> {
  const choice = opts.engine ?? 'auto';
  if (choice !== 'auto') return startEngine(choice, versionDir, manifest, opts);
  for (const candidate of AUTO_ENGINE_ORDER) {
    try {
      return await startEngine(candidate, versionDir, manifest, opts);
    } catch (err) {
      opts.onSkip?.(candidate, err instanceof Error ? err.message : String(err));
    }
  }
  return startEngine('tfjs-wasm', versionDir, manifest, opts);
}

function startEngine(
  choice: Exclude<EngineChoice, 'auto'>,
  versionDir: string,
  manifest: ModelManifest,
  opts: EngineOptions,
): Promise<ModelEngine> {
  const { modelFile, preprocessing } = manifest;
  switch (choice) {
    case 'tfjs-node-gpu':
    case 'tfjs-node':
      return TfjsNodeEngine.load(versionDir, modelFile, preprocessing.inputSize, choice);
    case 'onnxruntime':
      return onnxModel(versionDir, modelFile).then((model) =>
        OnnxEngine.load(model, preprocessing.inputSize, { intraOpThreads: opts.threads ?? 0 }),
      );
    case 'onnxruntime-cuda':
      if (!nvidiaGpuVisible()) {
        return Promise.reject(
          new Error(
            'onnxruntime-cuda needs a GPU, and no NVIDIA GPU is visible to this process (none in /proc/driver/nvidia/gpus, no /dev/nvidia0, or CUDA_VISIBLE_DEVICES hides them all)',
          ),
        );
      }
      return onnxModel(versionDir, modelFile).then((model) =>
        OnnxEngine.load(model, preprocessing.inputSize, { intraOpThreads: opts.threads ?? 0, executionProvider: 'cuda' }),
      );
    case 'onnxruntime-webgpu':
      return onnxModel(versionDir, modelFile).then((model) =>
        OnnxEngine.load(model, preprocessing.inputSize, { intraOpThreads: opts.threads ?? 0, executionProvider: 'webgpu' }),
      );
    case 'onnxruntime-int8':
      return int8Model(versionDir, manifest).then((model) =>
        OnnxEngine.load(model, preprocessing.inputSize, { intraOpThreads: opts.threads ?? 0, executionProvider: 'cpu', variant: 'int8' }),
      );
    case 'tfjs-wasm':
      return TfjsWasmEngine.load(versionDir, modelFile, preprocessing.inputSize);
  }
}

/** The version's published model.onnx when it has one (versions are immutable, so it matches the
 * TF.js model beside it), else an export made in memory: it takes well under a second, and
 * nothing has to be written into a folder that may be read-only or shared. */
async function onnxModel(versionDir: string, modelFile: string): Promise<Uint8Array | string> {
  const file = path.join(versionDir, ONNX_FILE);
  return (await exists(file)) ? file : convertModelDir(versionDir, modelFile);
}

/** The version's int8 model, which only `pneumoscreen models quantize` makes: it needs
 * calibration images, so it cannot be made here on the fly. */
async function int8Model(versionDir: string, manifest: ModelManifest): Promise<string> {
  const file = path.join(versionDir, INT8_ONNX_FILE);
  if (!(await exists(file))) {
    throw new Error(
      `version ${manifest.version} has no int8 model (${INT8_ONNX_FILE}): make it with \`pneumoscreen models quantize DIR --data IMAGES\` before publishing, or use ENGINE=onnxruntime`,
    );
  }
  return file;
}

const exists = (file: string) =>
  fs.access(file).then(
    () => true,
    () => false,
  );
