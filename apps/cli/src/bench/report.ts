import type { DecodeResult } from './decode';
import type { EndToEndSection } from './end-to-end-section';
import type { EngineResult } from './engines';
import type { HeatmapSection } from './heatmaps';
import type { Machine } from './machine';
import { formatSoakRow, SOAK_HEADER, type SoakResult } from './soak';
import { round } from './stats';

export type BenchReport = {
  date: string;
  machine: Partial<Machine>;
  model: string;
  decode?: DecodeResult;
  engines?: EngineResult[];
  skippedEngines?: Record<string, string>;
  heatmaps?: HeatmapSection;
  soak?: SoakResult[];
  /** By engine: its best pipeline row over its raw MobileNet throughput (best batch size); only
   * when the engines and e2e sections both ran. */
  endToEndVsRaw?: Record<string, number>;
  /** By engine: the most that same pipeline row could reach with every core busy, over the
   * engine's raw MobileNet throughput; only where the row's CPU per process was measured. */
  cpuCeilingVsRaw?: Record<string, CpuCeiling>;
} & Partial<EndToEndSection>;

export interface CpuCeiling {
  /** At the CPU time per image of every process of the run (uploader and S3 server included). */
  all: number;
  /** At that of ingest and the workers alone: the uploaders and the S3 store on other machines. */
  pipeline: number;
}

export function endToEndVsRaw(r: Pick<BenchReport, 'engines' | 'endToEnd'>): Record<string, number> | undefined {
  const ratios: Record<string, number> = {};
  for (const row of r.endToEnd?.filter((e) => e.batching && e.engine) ?? []) {
    const raw = r.engines?.filter((e) => e.engine === row.engine && e.backbone === 'mobilenet').map((e) => e.imagesPerSecond) ?? [];
    if (raw.length) ratios[row.engine!] = Math.max(ratios[row.engine!] ?? 0, round(row.imagesPerSecond / Math.max(...raw)));
  }
  return Object.keys(ratios).length ? ratios : undefined;
}

/**
 * Where a host's cores, not the pipeline's scheduling, cap it: if every core did nothing but
 * this run's work at the CPU time per image it measured, the best row of each engine could reach
 * cores × 1000 / (ms per image) images/s. Set beside the engine's raw rate, that bounds the share
 * of raw throughput the pipeline can reach on this host however well it keeps the engine fed.
 */
export function cpuCeilingVsRaw(r: Pick<BenchReport, 'engines' | 'endToEnd' | 'machine'>): Record<string, CpuCeiling> | undefined {
  const cores = r.machine.cpus;
  if (!cores) return undefined;
  const best = new Map<string, { imagesPerSecond: number; cpu: Record<string, number> }>();
  for (const row of r.endToEnd ?? []) {
    if (!row.batching || !row.engine || !row.cpuMsPerImage) continue;
    const seen = best.get(row.engine);
    if (!seen || row.imagesPerSecond > seen.imagesPerSecond) best.set(row.engine, { imagesPerSecond: row.imagesPerSecond, cpu: row.cpuMsPerImage });
  }
  const ceilings: Record<string, CpuCeiling> = {};
  for (const [engine, { cpu }] of best) {
    const raw = Math.max(0, ...(r.engines?.filter((e) => e.engine === engine && e.backbone === 'mobilenet').map((e) => e.imagesPerSecond) ?? []));
    const sum = (keys: string[]) => keys.reduce((total, k) => total + (cpu[k] ?? 0), 0);
    const all = sum(Object.keys(cpu));
    const pipeline = sum(['ingest', 'workers']);
    if (raw === 0 || all === 0 || pipeline === 0) continue;
    ceilings[engine] = { all: round((cores * 1000) / all / raw), pipeline: round((cores * 1000) / pipeline / raw) };
  }
  return Object.keys(ceilings).length ? ceilings : undefined;
}

export function formatReport(r: BenchReport): string {
  const lines: string[] = [];
  if (r.decode) lines.push(`decode + preprocess: ${r.decode.imagesPerSecond} images/s`, '');
  if (r.engines) {
    lines.push('engine               backbone   batch  images/s  ms/batch');
    for (const e of r.engines) lines.push(`${e.engine.padEnd(20)} ${e.backbone.padEnd(10)} ${String(e.batch).padStart(5)}  ${String(e.imagesPerSecond).padStart(8)}  ${String(e.msPerBatch).padStart(8)}`);
  }
  if (r.heatmaps) lines.push('', ...formatHeatmaps(r.heatmaps));
  if (r.endToEnd) {
    // As wide as the longest label, "pipeline, 1 worker, heatmaps off".
    lines.push('', 'end to end                        workers  images/s   p50 s   p95 s   p99 s  engine busy  CPU ms/image: bench, S3, ingest, workers');
    for (const e of r.endToEnd) {
      const busy = e.engineBusy === undefined ? '' : `${Math.round(e.engineBusy * 100)}%`;
      const cpu = e.cpuMsPerImage ? ['bench', 's3Server', 'ingest', 'workers'].map((k) => e.cpuMsPerImage![k] ?? '-').join(', ') : '';
      lines.push(`${e.label.padEnd(33)} ${String(e.workers).padStart(7)}  ${String(e.imagesPerSecond).padStart(8)}  ${String(e.p50).padStart(6)}  ${String(e.p95).padStart(6)}  ${String(e.p99).padStart(6)}  ${busy.padStart(11)}  ${cpu}`.trimEnd());
    }
    const repeated = r.endToEnd.filter((e) => e.runs);
    if (repeated.length) lines.push('', 'images/s of every run (the table shows the median run):', ...repeated.map((e) => `  ${e.label}: ${e.runs!.join(', ')}`));
    const batching = r.speedupVsBatchingOff ? `; batching on vs off: ${r.speedupVsBatchingOff}x` : '';
    const maps = r.heatmapsOnVsOff ? `; heatmaps on vs off: ${r.heatmapsOnVsOff}x` : '';
    const raw = r.endToEndVsRaw ? `; best pipeline vs its engine's raw MobileNet throughput: ${Object.entries(r.endToEndVsRaw).map(([e, v]) => `${pct(v)} on ${e}`).join(', ')}` : '';
    lines.push('', `pipeline vs naive baseline: ${r.speedupVsBaseline}x${batching}${maps}${raw}`);
    if (r.cpuCeilingVsRaw) {
      const each = Object.entries(r.cpuCeilingVsRaw).map(([e, c]) => `${e} ${pct(c.all)} (${pct(c.pipeline)} with the uploader and S3 server elsewhere)`);
      lines.push(`the most ${r.machine.cpus} fully busy cores allow at the CPU per image measured, vs raw: ${each.join(', ')}`);
    }
    lines.push('');
  }
  if (r.soak) lines.push(SOAK_HEADER, ...r.soak.map(formatSoakRow));
  return lines.join('\n');
}

function formatHeatmaps(h: HeatmapSection): string[] {
  const lines = [`heatmaps (${h.images} X-rays)    batch  images/s maps off / on  Grad-CAM ms/image  vs float: correlation median, least`];
  for (const e of h.engines) {
    const vs = e.vsFloat ? `${e.vsFloat.correlationMedian}, ${e.vsFloat.correlationMin}` : '';
    lines.push(`${e.engine.padEnd(28)} ${String(e.batch).padStart(5)}  ${`${e.imagesPerSecondMapsOff} / ${e.imagesPerSecondMapsOn}`.padStart(20)}  ${String(e.gradCamMsPerImage).padStart(17)}  ${vs}`.trimEnd());
  }
  for (const [engine, why] of Object.entries(h.unavailable)) lines.push(`${engine.padEnd(28)} no maps: ${why}`);
  lines.push(`overlay ${h.overlayMsPerImage} ms/image, PNG encode ${h.pngMsPerImage} ms/image (${h.pngBytesPerImage} bytes)`);
  return lines;
}

const pct = (share: number) => `${Math.round(share * 100)}%`;
