import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import type * as tfTypes from '@tensorflow/tfjs';
import { directoryLoader } from '@pneumoscreen/tfjs';
import { initTfjsBackend } from './tfjs-backends';
import { FEATURES_LAYER } from '@pneumoscreen/model-format';
import { type MemoryRequest, type TfjsWorkerInit, type WorkerReady, type WorkerRequest, type WorkerResponse } from './worker-protocol';

/** Runs inside a worker thread so that model calls, which block for tens of milliseconds per
 * image, never stall the event loop of the process serving queues and HTTP. Native tfjs-node
 * blocks the same way, so it runs here too. */
async function start(init: TfjsWorkerInit): Promise<void> {
  const port = parentPort!;
  let tf: typeof tfTypes;
  let model: tfTypes.LayersModel;
  let device: string;
  try {
    ({ tf, device } = await initTfjsBackend(init.backend ?? 'wasm'));
    model = await buildModel(tf, init);
  } catch (err) {
    port.postMessage({ kind: 'failed', error: messageOf(err) } satisfies WorkerReady);
    return;
  }
  const [, h, w, c] = model.inputs[0]!.shape;
  const widthOf = (t: tfTypes.SymbolicTensor) => t.shape.slice(1).reduce<number>((a, b) => a * (b ?? 1), 1);
  const outputWidth = widthOf(model.outputs[0]!);
  const featureWidth = model.outputs[1] ? widthOf(model.outputs[1]) : undefined;
  const mapShape = model.outputs[2]?.shape.slice(1);
  const featureMapShape =
    mapShape?.length === 3 && mapShape.every((d) => typeof d === 'number') ? (mapShape as [number, number, number]) : undefined;
  // The same graph without the feature map, so that runs not asked for it do not copy it out.
  const scorer = featureMapShape ? tf.model({ inputs: model.inputs, outputs: model.outputs.slice(0, 2) }) : model;
  if (!h || !w || !c) {
    port.postMessage({
      kind: 'failed',
      error: `model input shape ${JSON.stringify(model.inputs[0]!.shape)} is not [batch, h, w, c]`,
    } satisfies WorkerReady);
    return;
  }
  port.postMessage({ kind: 'ready', inputShape: [h, w, c], outputWidth, device, featureWidth, featureMapShape } satisfies WorkerReady);

  port.on('message', (msg: WorkerRequest | MemoryRequest) => {
    if (msg.kind === 'memory') {
      const { numTensors, numBytes } = tf.memory();
      port.postMessage({ kind: 'memory', id: msg.id, numTensors, numBytes } satisfies WorkerResponse);
      return;
    }
    let response: WorkerResponse;
    try {
      const expected = msg.batchSize * h * w * c;
      if (!Number.isInteger(msg.batchSize) || msg.batchSize < 1 || msg.input.length !== expected) {
        throw new Error(`input has ${msg.input.length} values; batch of ${msg.batchSize} needs ${expected}`);
      }
      const [output, features, featureMap] = tf.tidy(() => {
        const x = tf.tensor4d(msg.input, [msg.batchSize, h, w, c]);
        const y = [(msg.featureMap ? model : scorer).predict(x)].flat() as tfTypes.Tensor[];
        // A copy owns its whole buffer, so transferring it cannot detach memory TF.js still uses.
        return y.map((t) => new Float32Array(t.dataSync()));
      });
      response = { kind: 'result', id: msg.id, output: output!, ...(features ? { features } : {}), ...(featureMap ? { featureMap } : {}) };
    } catch (err) {
      response = { kind: 'error', id: msg.id, error: messageOf(err) };
    }
    port.postMessage(response, transferables(response));
  });
}

function transferables(response: WorkerResponse): ArrayBuffer[] {
  if (response.kind !== 'result') return [];
  return [response.output, response.features, response.featureMap].flatMap((a) => (a ? [a.buffer as ArrayBuffer] : []));
}

async function buildModel(tf: typeof tfTypes, init: TfjsWorkerInit): Promise<tfTypes.LayersModel> {
  const model = await tf.loadLayersModel(directoryLoader(init.modelDir, init.modelFile));
  if (!init.featureLayer) {
    // A classifier's pooled features come out beside its output, in the same run, and the
    // activations they pool when a class-activation map is wanted.
    const pooled = model.layers.find((l) => l.name === FEATURES_LAYER);
    if (!pooled) return model;
    const activations = pooled.input as tfTypes.SymbolicTensor;
    return tf.model({ inputs: model.inputs, outputs: [model.outputs[0]!, pooled.output as tfTypes.SymbolicTensor, activations] });
  }
  const features = model.getLayer(init.featureLayer).output as tfTypes.SymbolicTensor;
  const pooled = tf.layers.globalAveragePooling2d({}).apply(features) as tfTypes.SymbolicTensor;
  return tf.model({ inputs: model.inputs, outputs: pooled });
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

if (!isMainThread && parentPort) void start(workerData as TfjsWorkerInit);
