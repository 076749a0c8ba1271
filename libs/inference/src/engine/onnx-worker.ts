import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { FEATURE_MAP_OUTPUT, FEATURES_OUTPUT } from '@pneumoscreen/model-format';
import { explainProviderError, prepareExecutionProvider } from './execution-providers';
import { type OnnxWorkerInit, type WorkerReady, type WorkerRequest, type WorkerResponse } from './worker-protocol';

/**
 * Most images one session run gets on the CPU; a larger batch runs as consecutive chunks. On 2
 * cores, runs of 1 to 8 VGG16 images (224 px) classify as fast per image as one run of 32, which
 * needs a process of ~1.3 GB rather than ~0.5 GB; MobileNet ran ~5% faster in runs of 8 than of
 * 32. On a GPU a batch runs whole: a GPU's throughput grows with the batch, which WORKER_MAX_BATCH
 * already bounds.
 */
export const MAX_RUN_BATCH = 8;

/**
 * Holds one ONNX Runtime session. onnxruntime-node's `run` returns a promise but computes on the
 * calling thread (it only defers the call with setImmediate; microsoft/onnxruntime#26968), so the
 * session lives here, off the event loop that serves queues and HTTP.
 */
async function start(init: OnnxWorkerInit): Promise<void> {
  const port = parentPort!;
  const problem = prepareExecutionProvider(init.executionProvider);
  if (problem !== undefined) {
    port.postMessage({ kind: 'failed', error: `ONNX Runtime (${init.executionProvider}): ${problem}` } satisfies WorkerReady);
    return;
  }
  let session: ort.InferenceSession;
  try {
    const options: ort.InferenceSession.SessionOptions = {
      executionProviders: [init.executionProvider],
      intraOpNumThreads: init.intraOpThreads,
      // One request at a time per session: batching, not concurrent runs, is what fills the cores.
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      // The memory pattern's block for a run's activations is reserved beside the arena and
      // released after every run: a run of 32 VGG16 images page-faulted ~420 MB back in each
      // time. The arena alone keeps its memory between runs, at no measured cost in speed.
      enableMemPattern: false,
      // Idle pool threads would otherwise spin between runs, on cores that decoding, the event
      // loop and other workers share with this session: with one core busy elsewhere, MobileNet
      // ran 25% faster at batch 8 without spinning (idle machine: ~3% slower at batch 1).
      extra: { session: { intra_op: { allow_spinning: '0' } } },
    };
    session =
      typeof init.model === 'string'
        ? await ort.InferenceSession.create(init.model, options)
        : await ort.InferenceSession.create(init.model, options);
  } catch (err) {
    port.postMessage({
      kind: 'failed',
      error: `ONNX Runtime (${init.executionProvider}): ${explainProviderError(init.executionProvider, messageOf(err))}`,
    } satisfies WorkerReady);
    return;
  }
  const input = session.inputMetadata[0]!;
  const output = session.outputMetadata[0]!;
  const featureMeta = session.outputMetadata.find((o) => o.name === FEATURES_OUTPUT);
  const featureWidth = featureMeta?.isTensor && typeof featureMeta.shape[1] === 'number' ? featureMeta.shape[1] : undefined;
  const mapMeta = session.outputMetadata.find((o) => o.name === FEATURE_MAP_OUTPUT);
  const mapDims = mapMeta?.isTensor ? mapMeta.shape.slice(1) : [];
  const featureMapShape =
    mapDims.length === 3 && mapDims.every((d) => typeof d === 'number') ? (mapDims as [number, number, number]) : undefined;
  const mapWidth = featureMapShape ? featureMapShape[0] * featureMapShape[1] * featureMapShape[2] : 0;
  const [, h, w, c] = input.isTensor ? input.shape : [];
  const widths = output.isTensor ? output.shape.slice(1) : ['?'];
  if (typeof h !== 'number' || typeof w !== 'number' || typeof c !== 'number' || widths.some((d) => typeof d !== 'number')) {
    const shapes = JSON.stringify([input.isTensor && input.shape, output.isTensor && output.shape]);
    port.postMessage({ kind: 'failed', error: `ONNX model shapes ${shapes} are not [batch, h, w, c] -> [batch, n]` } satisfies WorkerReady);
    return;
  }
  const outputWidth = (widths as number[]).reduce((a, b) => a * b, 1);
  port.postMessage({
    kind: 'ready',
    inputShape: [h, w, c],
    outputWidth,
    device: init.executionProvider,
    featureWidth,
    featureMapShape,
  } satisfies WorkerReady);

  port.on('message', async (msg: WorkerRequest) => {
    let response: WorkerResponse;
    try {
      const expected = msg.batchSize * h * w * c;
      if (!Number.isInteger(msg.batchSize) || msg.batchSize < 1 || msg.input.length !== expected) {
        throw new Error(`input has ${msg.input.length} values; batch of ${msg.batchSize} needs ${expected}`);
      }
      // Owns its whole buffer, so transferring it cannot detach memory ORT still uses.
      const out = new Float32Array(msg.batchSize * outputWidth);
      const features = featureWidth ? new Float32Array(msg.batchSize * featureWidth) : undefined;
      const featureMap = msg.featureMap && featureMapShape ? new Float32Array(msg.batchSize * mapWidth) : undefined;
      // Only the outputs wanted are copied out of the session.
      const fetches = [output.name, ...(features ? [FEATURES_OUTPUT] : []), ...(featureMap ? [FEATURE_MAP_OUTPUT] : [])];
      const perImage = h * w * c;
      const runBatch = init.executionProvider === 'cpu' ? MAX_RUN_BATCH : msg.batchSize;
      for (let first = 0; first < msg.batchSize; first += runBatch) {
        const n = Math.min(runBatch, msg.batchSize - first);
        const images = msg.input.subarray(first * perImage, (first + n) * perImage);
        const result = await session.run({ [input.name]: new ort.Tensor('float32', images, [n, h, w, c]) }, fetches);
        out.set(result[output.name]!.data as Float32Array, first * outputWidth);
        if (features) features.set(result[FEATURES_OUTPUT]!.data as Float32Array, first * featureWidth!);
        if (featureMap) featureMap.set(result[FEATURE_MAP_OUTPUT]!.data as Float32Array, first * mapWidth);
      }
      response = { kind: 'result', id: msg.id, output: out, ...(features ? { features } : {}), ...(featureMap ? { featureMap } : {}) };
    } catch (err) {
      response = { kind: 'error', id: msg.id, error: messageOf(err) };
    }
    const transfer =
      response.kind === 'result'
        ? [response.output, response.features, response.featureMap].flatMap((a) => (a ? [a.buffer as ArrayBuffer] : []))
        : [];
    port.postMessage(response, transfer);
  });
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

if (!isMainThread && parentPort) void start(workerData as OnnxWorkerInit);
