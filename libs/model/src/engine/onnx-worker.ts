import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import type { OnnxWorkerInit, WorkerReady, WorkerRequest, WorkerResponse } from './worker-protocol';

/**
 * Holds one ONNX Runtime session. onnxruntime-node's `run` returns a promise but computes on the
 * calling thread (it only defers the call with setImmediate; microsoft/onnxruntime#26968), so the
 * session lives here, off the event loop that serves queues and HTTP.
 */
async function start(init: OnnxWorkerInit): Promise<void> {
  const port = parentPort!;
  let session: ort.InferenceSession;
  try {
    const options: ort.InferenceSession.SessionOptions = {
      executionProviders: [init.executionProvider],
      intraOpNumThreads: init.intraOpThreads,
      // One request at a time per session: batching, not concurrent runs, is what fills the cores.
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    };
    session = typeof init.model === 'string' ? await ort.InferenceSession.create(init.model, options) : await ort.InferenceSession.create(init.model, options);
  } catch (err) {
    port.postMessage({ kind: 'failed', error: `ONNX Runtime (${init.executionProvider}): ${messageOf(err)}` } satisfies WorkerReady);
    return;
  }
  const input = session.inputMetadata[0]!;
  const output = session.outputMetadata[0]!;
  const [, h, w, c] = input.isTensor ? input.shape : [];
  const widths = output.isTensor ? output.shape.slice(1) : ['?'];
  if (typeof h !== 'number' || typeof w !== 'number' || typeof c !== 'number' || widths.some((d) => typeof d !== 'number')) {
    const shapes = JSON.stringify([input.isTensor && input.shape, output.isTensor && output.shape]);
    port.postMessage({ kind: 'failed', error: `ONNX model shapes ${shapes} are not [batch, h, w, c] -> [batch, n]` } satisfies WorkerReady);
    return;
  }
  const outputWidth = (widths as number[]).reduce((a, b) => a * b, 1);
  port.postMessage({ kind: 'ready', inputShape: [h, w, c], outputWidth, device: init.executionProvider } satisfies WorkerReady);

  port.on('message', async (msg: WorkerRequest) => {
    let response: WorkerResponse;
    try {
      const expected = msg.batchSize * h * w * c;
      if (!Number.isInteger(msg.batchSize) || msg.batchSize < 1 || msg.input.length !== expected) {
        throw new Error(`input has ${msg.input.length} values; batch of ${msg.batchSize} needs ${expected}`);
      }
      const feeds = { [input.name]: new ort.Tensor('float32', msg.input, [msg.batchSize, h, w, c]) };
      const result = await session.run(feeds);
      // A copy owns its whole buffer, so transferring it cannot detach memory ORT still uses.
      response = { kind: 'result', id: msg.id, output: (result[output.name]!.data as Float32Array).slice() };
    } catch (err) {
      response = { kind: 'error', id: msg.id, error: messageOf(err) };
    }
    port.postMessage(response, response.kind === 'result' ? [response.output.buffer as ArrayBuffer] : []);
  });
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

if (!isMainThread && parentPort) void start(workerData as OnnxWorkerInit);
