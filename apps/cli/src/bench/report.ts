import type { DecodeResult } from './decode';
import type { EndToEndSection } from './end-to-end-section';
import type { EngineResult } from './engines';
import { formatSoakRow, SOAK_HEADER, type SoakResult } from './soak';
import { round } from './stats';

export type BenchReport = {
  date: string;
  machine: object;
  model: string;
  decode?: DecodeResult;
  engines?: EngineResult[];
  skippedEngines?: Record<string, string>;
  soak?: SoakResult[];
  /** By engine: its best pipeline row over its raw MobileNet throughput (best batch size); only
   * when the engines and e2e sections both ran. */
  endToEndVsRaw?: Record<string, number>;
} & Partial<EndToEndSection>;

export function endToEndVsRaw(r: Pick<BenchReport, 'engines' | 'endToEnd'>): Record<string, number> | undefined {
  const ratios: Record<string, number> = {};
  for (const row of r.endToEnd?.filter((e) => e.batching && e.engine) ?? []) {
    const raw = r.engines?.filter((e) => e.engine === row.engine && e.backbone === 'mobilenet').map((e) => e.imagesPerSecond) ?? [];
    if (raw.length) ratios[row.engine!] = Math.max(ratios[row.engine!] ?? 0, round(row.imagesPerSecond / Math.max(...raw)));
  }
  return Object.keys(ratios).length ? ratios : undefined;
}

export function formatReport(r: BenchReport): string {
  const lines: string[] = [];
  if (r.decode) lines.push(`decode + preprocess: ${r.decode.imagesPerSecond} images/s`, '');
  if (r.engines) {
    lines.push('engine               backbone   batch  images/s  ms/batch');
    for (const e of r.engines) lines.push(`${e.engine.padEnd(20)} ${e.backbone.padEnd(10)} ${String(e.batch).padStart(5)}  ${String(e.imagesPerSecond).padStart(8)}  ${String(e.msPerBatch).padStart(8)}`);
  }
  if (r.endToEnd) {
    lines.push('', 'end to end                workers  images/s   p50 s   p95 s   p99 s  engine busy  CPU ms/image: bench, S3, ingest, workers');
    for (const e of r.endToEnd) {
      const busy = e.engineBusy === undefined ? '' : `${Math.round(e.engineBusy * 100)}%`;
      const cpu = e.cpuMsPerImage ? ['bench', 's3Server', 'ingest', 'workers'].map((k) => e.cpuMsPerImage![k] ?? '-').join(', ') : '';
      lines.push(`${e.label.padEnd(25)} ${String(e.workers).padStart(7)}  ${String(e.imagesPerSecond).padStart(8)}  ${String(e.p50).padStart(6)}  ${String(e.p95).padStart(6)}  ${String(e.p99).padStart(6)}  ${busy.padStart(11)}  ${cpu}`.trimEnd());
    }
    const repeated = r.endToEnd.filter((e) => e.runs);
    if (repeated.length) lines.push('', 'images/s of every run (the table shows the median run):', ...repeated.map((e) => `  ${e.label}: ${e.runs!.join(', ')}`));
    const batching = r.speedupVsBatchingOff ? `; batching on vs off: ${r.speedupVsBatchingOff}x` : '';
    const raw = r.endToEndVsRaw ? `; best pipeline vs its engine's raw MobileNet throughput: ${Object.entries(r.endToEndVsRaw).map(([e, v]) => `${Math.round(v * 100)}% on ${e}`).join(', ')}` : '';
    lines.push('', `pipeline vs naive baseline: ${r.speedupVsBaseline}x${batching}${raw}`, '');
  }
  if (r.soak) lines.push(SOAK_HEADER, ...r.soak.map(formatSoakRow));
  return lines.join('\n');
}
