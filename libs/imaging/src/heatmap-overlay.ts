import sharp from 'sharp';

/** 8-bit RGB pixels, row-major, 3 bytes a pixel. */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/** A class-activation map: `height` x `width` values in [0, 1], row-major. */
export interface HeatValues {
  values: Float32Array;
  height: number;
  width: number;
}

/** How much of a pixel the colour takes where the map is 1; where it is 0 the film shows as it is. */
const MAX_ALPHA = 0.6;
const MARGIN = 8;
const BAR_WIDTH = 12;
/** Room right of the bar for its "1" and "0" labels. */
const LABEL_WIDTH = 12;

/**
 * The film the model read with the map laid over it (bilinear from the map's grid, in the jet
 * colours radiology viewers use: blue low, red high) and, to its right, the colour scale from 0
 * (bottom) to 1 (top).
 */
export function heatmapOverlay(film: RgbImage, map: HeatValues): RgbImage {
  const { width: w, height: h } = film;
  if (film.data.length !== w * h * 3) throw new Error(`film has ${film.data.length} bytes; ${w}x${h} RGB needs ${w * h * 3}`);
  const width = w + MARGIN + BAR_WIDTH + LABEL_WIDTH;
  const out = new Uint8Array(width * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = sample(map, ((x + 0.5) / w) * map.width - 0.5, ((y + 0.5) / h) * map.height - 0.5);
      const a = MAX_ALPHA * v;
      const [r, g, b] = jet(v);
      const i = (y * w + x) * 3;
      const o = (y * width + x) * 3;
      out[o] = Math.round(film.data[i]! * (1 - a) + r * a);
      out[o + 1] = Math.round(film.data[i + 1]! * (1 - a) + g * a);
      out[o + 2] = Math.round(film.data[i + 2]! * (1 - a) + b * a);
    }
  }
  const barTop = MARGIN;
  const barBottom = h - MARGIN - 1;
  for (let y = barTop; y <= barBottom; y++) {
    const colour = jet((barBottom - y) / Math.max(1, barBottom - barTop));
    for (let x = w + MARGIN; x < w + MARGIN + BAR_WIDTH; x++) out.set(colour, (y * width + x) * 3);
  }
  const labelX = w + MARGIN + BAR_WIDTH + 3;
  drawGlyph(out, width, ONE, labelX, barTop);
  drawGlyph(out, width, ZERO, labelX, barBottom - GLYPH_ROWS * GLYPH_SCALE + 1);
  return { data: out, width, height: h };
}

export function encodePng({ data, width, height }: RgbImage): Promise<Buffer> {
  return sharp(data, { raw: { width, height, channels: 3 } }).png().toBuffer();
}

/** The map at a (fractional) grid position, clamped at its edges. */
function sample(map: HeatValues, gx: number, gy: number): number {
  const x = Math.min(Math.max(gx, 0), map.width - 1);
  const y = Math.min(Math.max(gy, 0), map.height - 1);
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const x1 = Math.min(x0 + 1, map.width - 1);
  const y1 = Math.min(y0 + 1, map.height - 1);
  const fx = x - x0;
  const fy = y - y0;
  const at = (cx: number, cy: number) => map.values[cy * map.width + cx]!;
  return (at(x0, y0) * (1 - fx) + at(x1, y0) * fx) * (1 - fy) + (at(x0, y1) * (1 - fx) + at(x1, y1) * fx) * fy;
}

/** The classic jet colour map: dark blue, blue, cyan, yellow, red, dark red. */
export function jet(v: number): [number, number, number] {
  const t = Math.min(Math.max(v, 0), 1) * 4;
  const channel = (centre: number) => Math.round(255 * Math.min(Math.max(1.5 - Math.abs(t - centre), 0), 1));
  return [channel(3), channel(2), channel(1)];
}

const GLYPH_ROWS = 5;
const GLYPH_SCALE = 2;
const ONE = ['010', '110', '010', '010', '111'];
const ZERO = ['111', '101', '101', '101', '111'];

function drawGlyph(out: Uint8Array, width: number, glyph: string[], left: number, top: number): void {
  glyph.forEach((row, gy) => {
    [...row].forEach((bit, gx) => {
      if (bit !== '1') return;
      for (let dy = 0; dy < GLYPH_SCALE; dy++) for (let dx = 0; dx < GLYPH_SCALE; dx++) out.fill(255, ((top + gy * GLYPH_SCALE + dy) * width + left + gx * GLYPH_SCALE + dx) * 3, ((top + gy * GLYPH_SCALE + dy) * width + left + gx * GLYPH_SCALE + dx) * 3 + 3);
    });
  });
}
