import { availableParallelism } from 'node:os';
import { benchEndToEnd, type EndToEndCase, type EndToEndResult } from './end-to-end';
import { round } from './stats';

export interface EndToEndSection {
  endToEnd: EndToEndResult[];
  speedupVsBaseline: number;
  speedupVsBatchingOff?: number;
  /** One worker's images/s with heatmaps over that without. */
  heatmapsOnVsOff?: number;
}

/**
 * One row per case from `rounds` (each round ran every case once, in the same order): the run with
 * the median images/s (the lower of the middle two for an even count), carrying every run's rate.
 * On a noisy host one run per case says little, and cases that run in turn share whatever the
 * host did meanwhile.
 */
export function medianRuns(rounds: readonly (readonly EndToEndResult[])[]): EndToEndResult[] {
  if (rounds.length === 1) return [...rounds[0]!];
  return rounds[0]!.map((_, c) => {
    const runs = rounds.map((r) => r[c]!);
    const sorted = [...runs].sort((a, b) => a.imagesPerSecond - b.imagesPerSecond);
    return { ...sorted[Math.floor((sorted.length - 1) / 2)]!, runs: runs.map((r) => r.imagesPerSecond) };
  });
}

/** Spread over more ingest and S3 server processes, the pipeline rows show what the workers can
 * do once the bench's own single processes no longer hold them back. */
export async function endToEndSection(data: string, images: number, workers: number[], spread: { ingests: number; s3Servers: number }, repeat: number, say: (l: string) => void): Promise<EndToEndSection> {
  const times = repeat > 1 ? `; every case ${repeat} times, in turn, and the median run kept` : '';
  say(`end to end (${images} images from ${data}, studies of 4; S3 server, Redis, ingest and workers as processes${times})`);
  const cases: EndToEndCase[] = [
    ...workers.map((n) => ({ label: `pipeline, ${n} worker${n > 1 ? 's' : ''}${spreadLabel(spread)}`, workers: n, batching: true, overrides: splitCores(n, availableParallelism(), process.env), ...spread })),
    { label: `pipeline, 1 worker, int8${spreadLabel(spread)}`, workers: 1, batching: true, overrides: { ENGINE: 'onnxruntime-int8' }, ...spread },
    // Every other row writes a heatmap per image (HEATMAPS defaults to true).
    { label: `pipeline, 1 worker, heatmaps off${spreadLabel(spread)}`, workers: 1, batching: true, overrides: { HEATMAPS: 'false' }, ...spread },
    { label: 'batching off, 1 worker', workers: 1, batching: false, overrides: { WORKER_MAX_BATCH: '1', WORKER_CONCURRENCY: '4' } },
    { label: 'naive baseline', workers: 1, batching: false, overrides: { WORKER_MAX_BATCH: '1', WORKER_CONCURRENCY: '1', ENGINE: 'tfjs-wasm' } },
  ];
  const rounds: EndToEndResult[][] = [];
  for (let r = 0; r < repeat; r++) {
    const results: EndToEndResult[] = [];
    for (const c of cases) results.push(await benchEndToEnd(c, data, images, say));
    rounds.push(results);
  }
  const endToEnd = medianRuns(rounds);

  const best = Math.max(...endToEnd.filter((e) => e.batching).map((e) => e.imagesPerSecond));
  const rate = (l: string) => endToEnd.find((e) => e.label === l)?.imagesPerSecond;
  const oneWorker = rate(`pipeline, 1 worker${spreadLabel(spread)}`);
  const mapsOff = rate(`pipeline, 1 worker, heatmaps off${spreadLabel(spread)}`);
  return {
    endToEnd,
    speedupVsBaseline: round(best / rate('naive baseline')!),
    ...(oneWorker ? { speedupVsBatchingOff: round(oneWorker / rate('batching off, 1 worker')!) } : {}),
    ...(oneWorker && mapsOff ? { heatmapsOnVsOff: round(oneWorker / mapsOff) } : {}),
  };
}

/**
 * Several workers on one host split its cores between their engines, as Deploying recommends
 * (`ENGINE_THREADS` = cores / processes), rather than each starting a thread per core; an
 * ENGINE_THREADS the bench was given wins.
 */
export function splitCores(workers: number, cores: number, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (workers === 1 || env['ENGINE_THREADS'] !== undefined) return {};
  return { ENGINE_THREADS: String(Math.max(1, Math.floor(cores / workers))) };
}

const spreadLabel = (s: { ingests: number; s3Servers: number }) => (s.ingests > 1 || s.s3Servers > 1 ? `, ${s.ingests} ingest, ${s.s3Servers} S3` : '');
