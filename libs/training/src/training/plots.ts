import sharp from 'sharp';
import type { RocPoint } from '@pneumoscreen/evaluation';

/** Plots are drawn as SVG and rasterised by sharp (librsvg): no plotting or PNG dependency. */
export function svgToPng(svg: string): Promise<Buffer> {
  return sharp(Buffer.from(svg)).png().toBuffer();
}

interface Series {
  label: string;
  color: string;
  points: Array<[number, number]>;
  dashed?: boolean;
  /** Points drawn as dots, e.g. the best epoch. */
  marks?: Array<[number, number]>;
}

interface Panel {
  x: number;
  y: number;
  width: number;
  height: number;
  title: string;
  xLabel: string;
  yLabel: string;
  xDomain: [number, number];
  yDomain: [number, number];
  series: Series[];
  /** Vertical lines at these x values, labelled. */
  boundaries?: Array<{ x: number; label: string }>;
  notes?: Array<{ x: number; y: number; text: string; color?: string }>;
  legend: 'top' | 'bottom' | 'none';
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd'];
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
const fmt = (v: number) => String(Number(v.toPrecision(3)));

function ticks([lo, hi]: [number, number]): number[] {
  const raw = (hi - lo) / 5;
  const step = [1, 2, 2.5, 5, 10].map((m) => m * 10 ** Math.floor(Math.log10(raw))).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push(Number(t.toPrecision(6)));
  return out;
}

function panel(p: Panel): string {
  const sx = (v: number) => p.x + ((v - p.xDomain[0]) / (p.xDomain[1] - p.xDomain[0])) * p.width;
  const sy = (v: number) => p.y + p.height - ((v - p.yDomain[0]) / (p.yDomain[1] - p.yDomain[0])) * p.height;
  const clip = `clip${p.x}-${p.y}`;
  const out = [
    `<clipPath id="${clip}"><rect x="${p.x}" y="${p.y}" width="${p.width}" height="${p.height}"/></clipPath>`,
    `<rect x="${p.x}" y="${p.y}" width="${p.width}" height="${p.height}" fill="none" stroke="#333"/>`,
    `<text x="${p.x + p.width / 2}" y="${p.y - 10}" text-anchor="middle" font-size="15" font-weight="bold">${esc(p.title)}</text>`,
    `<text x="${p.x + p.width / 2}" y="${p.y + p.height + 38}" text-anchor="middle" font-size="13">${esc(p.xLabel)}</text>`,
    `<text transform="translate(${p.x - 48},${p.y + p.height / 2}) rotate(-90)" text-anchor="middle" font-size="13">${esc(p.yLabel)}</text>`,
  ];
  for (const t of ticks(p.xDomain)) {
    out.push(`<line x1="${sx(t)}" x2="${sx(t)}" y1="${p.y}" y2="${p.y + p.height}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${sx(t)}" y="${p.y + p.height + 16}" text-anchor="middle" font-size="11">${fmt(t)}</text>`);
  }
  for (const t of ticks(p.yDomain)) {
    out.push(`<line x1="${p.x}" x2="${p.x + p.width}" y1="${sy(t)}" y2="${sy(t)}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${p.x - 6}" y="${sy(t) + 4}" text-anchor="end" font-size="11">${fmt(t)}</text>`);
  }
  for (const b of p.boundaries ?? []) {
    out.push(`<line x1="${sx(b.x)}" x2="${sx(b.x)}" y1="${p.y}" y2="${p.y + p.height}" stroke="#777" stroke-dasharray="6,4"/>`);
    out.push(`<text x="${sx(b.x) + 4}" y="${p.y + 14}" font-size="11" fill="#555">${esc(b.label)}</text>`);
  }
  const legendWidth = 40 + 6.8 * Math.max(0, ...p.series.map((s) => s.label.length));
  p.series.forEach((s, i) => {
    const points = s.points.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ');
    const dash = s.dashed ? ' stroke-dasharray="4,4"' : '';
    out.push(`<polyline clip-path="url(#${clip})" points="${points}" fill="none" stroke="${s.color}" stroke-width="2"${dash}/>`);
    for (const [x, y] of s.marks ?? []) out.push(`<circle cx="${sx(x)}" cy="${sy(y)}" r="5" fill="${s.color}" stroke="#000"/>`);
    if (p.legend === 'none') return;
    const ly = p.legend === 'top' ? p.y + 36 + i * 18 : p.y + p.height - 12 - (p.series.length - 1 - i) * 18;
    const lx = p.x + p.width - legendWidth;
    out.push(`<line x1="${lx}" x2="${lx + 22}" y1="${ly - 4}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2"${dash}/>`);
    out.push(`<text x="${lx + 28}" y="${ly}" font-size="12">${esc(s.label)}</text>`);
  });
  for (const n of p.notes ?? [])
    out.push(`<text x="${sx(n.x) + 8}" y="${sy(n.y) + 16}" font-size="12" fill="${n.color ?? '#000'}">${esc(n.text)}</text>`);
  return out.join('\n');
}

function svg(width: number, height: number, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="DejaVu Sans, Arial, sans-serif">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    ...body,
    '</svg>',
  ].join('\n');
}

export interface RocPlotInput {
  curves: Array<{ label: string; roc: RocPoint[] }>;
  /** The released operating point, on the first curve. */
  operating: { fpr: number; tpr: number; threshold: number };
}

/** The whole ROC curve, and a close-up of its top-left corner where the operating point lies. */
export function rocSvg({ curves, operating }: RocPlotInput): string {
  const series: Series[] = curves.map((c, i) => ({
    label: c.label,
    color: COLORS[i % COLORS.length]!,
    points: c.roc.map((p) => [p.fpr, p.tpr] as [number, number]),
    marks: i === 0 ? [[operating.fpr, operating.tpr]] : undefined,
  }));
  const chance: Series = {
    label: 'chance',
    color: '#999',
    points: [
      [0, 0],
      [1, 1],
    ],
    dashed: true,
  };
  const note = {
    x: operating.fpr,
    y: operating.tpr,
    text: `threshold ${operating.threshold.toFixed(3)}: sensitivity ${operating.tpr.toFixed(3)}, specificity ${(1 - operating.fpr).toFixed(3)}`,
  };
  const common = {
    y: 50,
    width: 400,
    height: 400,
    xLabel: 'false positive rate (1 - specificity)',
    yLabel: 'true positive rate (sensitivity)',
  };
  return svg(1020, 520, [
    panel({ ...common, x: 80, title: 'ROC, validation', xDomain: [0, 1], yDomain: [0, 1], series: [...series, chance], legend: 'bottom' }),
    panel({
      ...common,
      x: 580,
      title: 'top-left corner',
      xDomain: [0, 0.3],
      yDomain: [0.7, 1],
      series,
      notes: [{ ...note, x: Math.min(note.x, 0.02) }],
      legend: 'none',
    }),
  ]);
}

export interface TrainingPlotInput {
  /** Consecutive stages; their epochs are numbered on one axis. A later stage's validation AUC
   * starts at its initial weights' (epoch 0), i.e. where the stage before it left off. */
  stages: Array<{
    name: string;
    bestEpoch: number;
    initialValAuc: number;
    history: Array<{ epoch: number; loss: number; valAuc: number }>;
  }>;
}

/** Training loss and validation AUC per epoch, stage boundaries dashed, best epochs dotted. */
export function trainingSvg({ stages }: TrainingPlotInput): string {
  let offset = 0;
  const loss: Series[] = [];
  const auc: Series[] = [];
  const boundaries: Panel['boundaries'] = [];
  stages.forEach((stage, i) => {
    const color = COLORS[i % COLORS.length]!;
    const at = (e: number) => offset + e;
    const best = stage.bestEpoch === 0 ? [at(0), stage.initialValAuc] : [at(stage.bestEpoch), stage.history[stage.bestEpoch - 1]!.valAuc];
    const start: Array<[number, number]> = i > 0 ? [[at(0), stage.initialValAuc]] : [];
    loss.push({ label: stage.name, color, points: stage.history.map((h) => [at(h.epoch), h.loss]) });
    auc.push({
      label: stage.name,
      color,
      points: [...start, ...stage.history.map((h) => [at(h.epoch), h.valAuc] as [number, number])],
      marks: [best as [number, number]],
    });
    if (i > 0) boundaries.push({ x: offset + 0.5, label: `phase ${i + 1}` });
    offset += stage.history.length;
  });
  const aucs = [...auc.flatMap((s) => s.points.map(([, y]) => y))];
  const losses = loss.flatMap((s) => s.points.map(([, y]) => y));
  const range = (values: number[], pad: number): [number, number] => {
    const lo = Math.min(...values);
    const hi = Math.max(...values);
    return [lo - (hi - lo) * pad - 1e-6, hi + (hi - lo) * pad + 1e-6];
  };
  const common = {
    x: 90,
    width: 820,
    height: 240,
    xLabel: 'epoch',
    xDomain: [0, Math.max(offset, 1) + 0.5] as [number, number],
    boundaries,
  };
  return svg(960, 700, [
    panel({
      ...common,
      y: 50,
      title: 'training loss (class-weighted cross-entropy)',
      yLabel: 'loss',
      yDomain: range(losses, 0.05),
      series: loss,
      legend: 'top',
    }),
    panel({
      ...common,
      y: 380,
      title: 'validation ROC AUC (dot: best epoch, kept)',
      yLabel: 'AUC',
      yDomain: range(aucs, 0.05),
      series: auc,
      legend: 'bottom',
    }),
  ]);
}
