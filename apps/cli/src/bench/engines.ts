import type { ModelEngine } from '@pneumoscreen/model';
import { round } from './stats';

export interface EngineResult {
  engine: string;
  backbone: string;
  batch: number;
  imagesPerSecond: number;
  msPerBatch: number;
}

/** Raw model throughput: random inputs of the model's size, one warm-up call, then timed calls
 * until `minSeconds` have passed (at least `minCalls`). */
export async function benchEngine(
  engine: ModelEngine,
  backbone: string,
  inputSize: [number, number],
  batch: number,
  opts: { minSeconds: number; minCalls: number },
): Promise<EngineResult> {
  const size = inputSize[0] * inputSize[1] * 3;
  const make = () => Float32Array.from({ length: size * batch }, () => Math.random() * 2 - 1);
  // predict may take ownership of its input's buffer, so every call gets a fresh array.
  await engine.predict(make(), batch);
  let calls = 0;
  let busy = 0;
  while (calls < opts.minCalls || busy < opts.minSeconds * 1000) {
    const x = make();
    const t = performance.now();
    await engine.predict(x, batch);
    busy += performance.now() - t;
    calls++;
  }
  return { engine: engine.name, backbone, batch, imagesPerSecond: round((calls * batch) / (busy / 1000)), msPerBatch: round(busy / calls, 1) };
}
