import { readFile } from 'node:fs/promises';
import type { EngineChoice, ModelManifest } from '@pneumoscreen/contracts';
import { decodeToRgb, encodePng, heatmapOverlay, normaliseInto, type HeatValues } from '@pneumoscreen/imaging';
import { gradCam, loadClassifierHead, loadEngine, type ModelEngine } from '@pneumoscreen/inference';
import { listXrays } from './decode';
import { pearson, round } from './stats';

/** A batch of the size workers fill under load, and what its maps cost on one engine. */
export interface HeatmapEngineResult {
  engine: string;
  batch: number;
  /** Engine throughput when the run returns only scores, and when it also copies the feature map
   * out (what HEATMAPS=true asks of every batch). */
  imagesPerSecondMapsOff: number;
  imagesPerSecondMapsOn: number;
  /** Grad-CAM from the feature map and the head's weights, per image. */
  gradCamMsPerImage: number;
  /** Against the float ONNX model's maps of the same films: Pearson correlation (median, least)
   * and the mean absolute difference of the [0, 1] values (median). */
  vsFloat?: { correlationMedian: number; correlationMin: number; meanAbsDiffMedian: number };
}

export interface HeatmapSection {
  images: number;
  engines: HeatmapEngineResult[];
  /** Engines that start here but give no maps, and why. */
  unavailable: Record<string, string>;
  /** Film plus jet overlay and colour scale, then its PNG encode, per image, on one thread. */
  overlayMsPerImage: number;
  pngMsPerImage: number;
  pngBytesPerImage: number;
}

const BATCH = 8;
const FLOAT = 'onnxruntime-cpu';

/**
 * What a heatmap costs per image, part by part, on `images` real X-rays (evenly spread over both
 * classes of `data`), decoded and normalised as a worker does: the engine run with and without the
 * feature map, the Grad-CAM math on each engine that gives maps, and the overlay and PNG encode
 * (engine-independent). Each engine's maps are set beside the float model's.
 */
export async function benchHeatmaps(data: string, versionDir: string, manifest: ModelManifest, choices: readonly Exclude<EngineChoice, 'auto'>[], images: number, iterations: number, say: (l: string) => void): Promise<HeatmapSection> {
  const files = await listXrays(data);
  const picked = Array.from({ length: Math.min(images, files.length) }, (_, i) => files[Math.floor((i * files.length) / Math.min(images, files.length))]!);
  const { inputSize, mode } = manifest.preprocessing;
  const rgbs = await Promise.all(picked.map(async (f) => decodeToRgb(await readFile(f), inputSize)));
  const perImage = rgbs[0]!.length;
  const input = new Float32Array(rgbs.length * perImage);
  rgbs.forEach((rgb, i) => normaliseInto(rgb, mode, input, i * perImage));
  const head = await loadClassifierHead(versionDir, manifest.modelFile);

  const engines: HeatmapEngineResult[] = [];
  const unavailable: Record<string, string> = {};
  const maps = new Map<string, HeatValues[]>();
  for (const choice of choices) {
    let engine: ModelEngine;
    try {
      engine = await loadEngine(versionDir, manifest, { engine: choice });
    } catch {
      continue; // The engines section says why an engine does not start here.
    }
    try {
      const probe = await engine.score?.(input.slice(0, perImage), 1, { featureMap: true });
      if (!probe?.featureMap) {
        unavailable[engine.name] = 'returns no feature map';
        continue;
      }
      const batch = input.slice(0, BATCH * perImage);
      const rate = async (featureMap: boolean) => {
        const started = performance.now();
        for (let i = 0; i < iterations; i++) await engine.score!(batch.slice(), BATCH, { featureMap });
        return round((BATCH * iterations) / ((performance.now() - started) / 1000), 1);
      };
      // In turn, so that whatever else the host does touches both alike.
      let [off, on] = [0, 0];
      for (let r = 0; r < 2; r++) [off, on] = [off + (await rate(false)) / 2, on + (await rate(true)) / 2];
      const [own, ms] = await engineMaps(engine, input, rgbs.length, perImage, head);
      maps.set(engine.name, own);
      engines.push({ engine: engine.name, batch: BATCH, imagesPerSecondMapsOff: round(off, 1), imagesPerSecondMapsOn: round(on, 1), gradCamMsPerImage: round(ms, 3) });
      say(`  ${engine.name} batch ${BATCH}: ${round(off, 1)} images/s without maps, ${round(on, 1)} with; Grad-CAM ${round(ms, 3)} ms/image`);
    } finally {
      await engine.dispose();
    }
  }
  const float = maps.get(FLOAT);
  for (const e of engines) {
    if (!float || e.engine === FLOAT) continue;
    e.vsFloat = agreement(maps.get(e.engine)!, float);
    say(`  ${e.engine} maps vs ${FLOAT}: correlation median ${e.vsFloat.correlationMedian}, least ${e.vsFloat.correlationMin}; mean |difference| median ${e.vsFloat.meanAbsDiffMedian}`);
  }

  const someMaps = float ?? [...maps.values()][0];
  if (!someMaps) throw new Error('no engine here gives heatmaps');
  const cost = await overlayCost(rgbs, inputSize, someMaps);
  say(`  overlay ${cost.overlayMsPerImage} ms/image, PNG encode ${cost.pngMsPerImage} ms/image (${cost.pngBytesPerImage} bytes)`);
  return { images: rgbs.length, engines, unavailable, ...cost };
}

/** Every image's map from runs of BATCH, and the Grad-CAM math's time per image over two passes
 * after an untimed one (the first calls also pay for JIT compilation). */
async function engineMaps(engine: ModelEngine, input: Float32Array, n: number, perImage: number, head: Awaited<ReturnType<typeof loadClassifierHead>>): Promise<[HeatValues[], number]> {
  const activations: Array<{ values: Float32Array; shape: [number, number, number] }> = [];
  for (let first = 0; first < n; first += BATCH) {
    const size = Math.min(BATCH, n - first);
    const { featureMap, featureMapShape } = await engine.score!(input.slice(first * perImage, (first + size) * perImage), size, { featureMap: true });
    const [h, w, c] = featureMapShape!;
    for (let i = 0; i < size; i++) activations.push({ values: featureMap!.subarray(i * h * w * c, (i + 1) * h * w * c), shape: featureMapShape! });
  }
  let out: HeatValues[] = [];
  const started: number[] = [];
  for (let pass = 0; pass < 3; pass++) {
    started.push(performance.now());
    out = activations.map((a) => gradCam(a.values, a.shape, head));
  }
  return [out, (performance.now() - started[1]!) / (2 * n)];
}

function agreement(maps: HeatValues[], float: HeatValues[]): NonNullable<HeatmapEngineResult['vsFloat']> {
  const correlations = maps.map((m, i) => pearson(m.values, float[i]!.values)).filter((r) => Number.isFinite(r));
  const diffs = maps.map((m, i) => m.values.reduce((s, v, k) => s + Math.abs(v - float[i]!.values[k]!), 0) / m.values.length);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
  return { correlationMedian: round(median(correlations), 3), correlationMin: round(Math.min(...correlations), 3), meanAbsDiffMedian: round(median(diffs), 3) };
}

/** Overlay and PNG encode, one image at a time as a worker's job does, after one untimed round. */
async function overlayCost(rgbs: Uint8Array[], [height, width]: readonly [number, number], maps: HeatValues[]): Promise<Pick<HeatmapSection, 'overlayMsPerImage' | 'pngMsPerImage' | 'pngBytesPerImage'>> {
  let [overlayMs, pngMs, bytes] = [0, 0, 0];
  for (let pass = 0; pass < 3; pass++) {
    for (let i = 0; i < rgbs.length; i++) {
      const t0 = performance.now();
      const overlay = heatmapOverlay({ data: rgbs[i]!, width, height }, maps[i]!);
      const t1 = performance.now();
      const png = await encodePng(overlay);
      if (pass === 0) continue;
      overlayMs += t1 - t0;
      pngMs += performance.now() - t1;
      bytes += png.length;
    }
  }
  const n = 2 * rgbs.length;
  return { overlayMsPerImage: round(overlayMs / n, 2), pngMsPerImage: round(pngMs / n, 2), pngBytesPerImage: Math.round(bytes / n) };
}
