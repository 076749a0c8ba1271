import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import type * as tfTypes from '@tensorflow/tfjs';
import type { WorkerReady, WorkerRequest, WorkerResponse } from '@pneumoscreen/inference';
import { initWasmBackend, directoryLoader } from '@pneumoscreen/tfjs';

export interface ActivationWorkerInit {
  modelDir: string;
  /** The worker outputs this layer's activations, flattened NHWC. */
  outputLayer: string;
  /** Output the layer's global average pool (one value per channel) instead: what a head reads. */
  pool?: boolean;
}

/** A worker thread running a backbone up to one layer: extraction uses one per core, as the WASM
 * backend computes on a single thread. Speaks the engine's worker protocol. */
async function start(init: ActivationWorkerInit): Promise<void> {
  const port = parentPort!;
  let tf: typeof tfTypes;
  let model: tfTypes.LayersModel;
  try {
    tf = await initWasmBackend();
    const base = await tf.loadLayersModel(directoryLoader(init.modelDir));
    const layer = base.getLayer(init.outputLayer).output as tfTypes.SymbolicTensor;
    const output = init.pool ? (tf.layers.globalAveragePooling2d({}).apply(layer) as tfTypes.SymbolicTensor) : layer;
    model = tf.model({ inputs: base.inputs, outputs: output });
  } catch (err) {
    port.postMessage({ kind: 'failed', error: messageOf(err) } satisfies WorkerReady);
    return;
  }
  const [, h, w, c] = model.inputs[0]!.shape as number[];
  const outputWidth = (model.outputs[0]!.shape.slice(1) as number[]).reduce((a, b) => a * b, 1);
  port.postMessage({ kind: 'ready', inputShape: [h!, w!, c!], outputWidth } satisfies WorkerReady);
  port.on('message', (msg: WorkerRequest) => {
    let response: WorkerResponse;
    try {
      const output = tf.tidy(() => {
        const y = model.predict(tf.tensor4d(msg.input, [msg.batchSize, h!, w!, c!])) as tfTypes.Tensor;
        return new Float32Array(y.dataSync());
      });
      response = { kind: 'result', id: msg.id, output };
    } catch (err) {
      response = { kind: 'error', id: msg.id, error: messageOf(err) };
    }
    port.postMessage(response, response.kind === 'result' ? [response.output.buffer as ArrayBuffer] : []);
  });
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

if (!isMainThread && parentPort) void start(workerData as ActivationWorkerInit);
