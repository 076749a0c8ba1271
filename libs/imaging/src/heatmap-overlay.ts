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
  const cols = gridSteps(w, map.width);
  const rows = gridSteps(h, map.height);
  const { keep, add } = BLEND;
  const m = map.values;
  const film8 = film.data;
  for (let y = 0; y < h; y++) {
    const r0 = rows.lo[y]! * map.width;
    const r1 = rows.hi[y]! * map.width;
    const fy = rows.f[y]!;
    for (let x = 0; x < w; x++) {
      const c0 = cols.lo[x]!;
      const c1 = cols.hi[x]!;
      const fx = cols.f[x]!;
      const v = (m[r0 + c0]! * (1 - fx) + m[r0 + c1]! * fx) * (1 - fy) + (m[r1 + c0]! * (1 - fx) + m[r1 + c1]! * fx) * fy;
      const l = Math.round((v < 0 ? 0 : v > 1 ? 1 : v) * LEVELS);
      const k = keep[l]!;
      const i = (y * w + x) * 3;
      const o = (y * width + x) * 3;
      out[o] = film8[i]! * k + add[l * 3]! + 0.5;
      out[o + 1] = film8[i + 1]! * k + add[l * 3 + 1]! + 0.5;
      out[o + 2] = film8[i + 2]! * k + add[l * 3 + 2]! + 0.5;
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

/** zlib level 1: on the release's 256x224 overlays about half the encode time of the default 6
 * for files about an eighth larger (`npm run bench -- --only heatmaps`, README Benchmarks). */
export function encodePng({ data, width, height }: RgbImage): Promise<Buffer> {
  return sharp(data, { raw: { width, height, channels: 3 } })
    .png({ compressionLevel: 1 })
    .toBuffer();
}

/**
 * For each of `pixels` output positions, the two map cells it lies between and the weight of the
 * second (bilinear, pixel centres aligned, clamped at the edges): the same for every row or column.
 */
function gridSteps(pixels: number, cells: number): { lo: Int32Array; hi: Int32Array; f: Float32Array } {
  const lo = new Int32Array(pixels);
  const hi = new Int32Array(pixels);
  const f = new Float32Array(pixels);
  for (let p = 0; p < pixels; p++) {
    const g = Math.min(Math.max(((p + 0.5) / pixels) * cells - 0.5, 0), cells - 1);
    lo[p] = Math.floor(g);
    hi[p] = Math.min(lo[p]! + 1, cells - 1);
    f[p] = g - lo[p]!;
  }
  return { lo, hi, f };
}

/** Map values are blended at this many steps from 0 to 1: at most one level off the exact blend. */
const LEVELS = 1024;

/** At each step, what of the film a pixel keeps (1 - alpha) and the jet colour times alpha it
 * gets: the blend is then two look-ups a channel instead of a colour computed per pixel. */
const BLEND = (() => {
  const keep = new Float32Array(LEVELS + 1);
  const add = new Float32Array((LEVELS + 1) * 3);
  for (let l = 0; l <= LEVELS; l++) {
    const a = (MAX_ALPHA * l) / LEVELS;
    keep[l] = 1 - a;
    jet(l / LEVELS).forEach((c, k) => (add[l * 3 + k] = c * a));
  }
  return { keep, add };
})();

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
      for (let dy = 0; dy < GLYPH_SCALE; dy++)
        for (let dx = 0; dx < GLYPH_SCALE; dx++)
          out.fill(
            255,
            ((top + gy * GLYPH_SCALE + dy) * width + left + gx * GLYPH_SCALE + dx) * 3,
            ((top + gy * GLYPH_SCALE + dy) * width + left + gx * GLYPH_SCALE + dx) * 3 + 3,
          );
    });
  });
}
