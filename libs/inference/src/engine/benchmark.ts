import type { ModelEngine } from './engine';

export interface EngineBenchmark {
  engine: string;
  batch: number;
  iterations: number;
  imagesPerSecond: number;
  msPerBatch: { mean: number; p50: number; min: number; max: number };
}

/**
 * Raw throughput of `engine` at `batch` images per call: one untimed warm-up call, then
 * `iterations` timed calls, one at a time. Inputs are random images of the engine's input size
 * (`inputSize`, 3 channels), made before the clock starts; every call gets a fresh buffer since
 * engines may take ownership of it.
 */
export async function benchmarkEngine(
  engine: ModelEngine,
  batch: number,
  iterations: number,
  inputSize: readonly [number, number] = [224, 224],
): Promise<EngineBenchmark> {
  if (!Number.isInteger(batch) || batch < 1 || !Number.isInteger(iterations) || iterations < 1) {
    throw new Error(`batch (${batch}) and iterations (${iterations}) must be positive integers`);
  }
  const values = batch * inputSize[0] * inputSize[1] * 3;
  const template = Float32Array.from({ length: values }, () => Math.random() * 2 - 1);
  await engine.predict(template.slice(), batch);
  const times: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const input = template.slice();
    const started = performance.now();
    await engine.predict(input, batch);
    times.push(performance.now() - started);
  }
  const total = times.reduce((a, b) => a + b, 0);
  const sorted = [...times].sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 10) / 10;
  return {
    engine: engine.name,
    batch,
    iterations,
    imagesPerSecond: round((batch * iterations) / (total / 1000)),
    msPerBatch: {
      mean: round(total / iterations),
      p50: round(sorted[Math.floor((iterations - 1) / 2)]!),
      min: round(sorted[0]!),
      max: round(sorted[iterations - 1]!),
    },
  };
}
