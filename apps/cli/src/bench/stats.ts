/** Nearest-rank percentile of an unsorted sample; NaN for an empty one. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** Pearson correlation of two equally long series; NaN where either is constant. */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let [ma, mb] = [0, 0];
  for (let i = 0; i < a.length; i++) [ma, mb] = [ma + a[i]! / a.length, mb + b[i]! / a.length];
  let [ab, aa, bb] = [0, 0, 0];
  for (let i = 0; i < a.length; i++) {
    const [da, db] = [a[i]! - ma, b[i]! - mb];
    [ab, aa, bb] = [ab + da * db, aa + da * da, bb + db * db];
  }
  return ab / Math.sqrt(aa * bb);
}

export const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Least-squares slope of `ys` against `xs`; NaN unless there are two or more distinct xs. */
export function slope(xs: number[], ys: number[]): number {
  if (xs.length !== ys.length) throw new Error(`slope needs as many ys (${ys.length}) as xs (${xs.length})`);
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
  }
  return sxx > 0 ? sxy / sxx : NaN;
}

/**
 * Above this RSS growth after warm-up a soak counts as leaking. 10,000 images at 2 MB per 1,000
 * would be 20 MB: more than allocator noise over a run that long, less than a leak of one
 * 224x224 float image (0.6 MB) per batch of 32 (~19 MB per 1,000 images) could hide under.
 */
export const FLAT_RSS_SLOPE_MB_PER_1000 = 2;

/**
 * RSS rises in steps of a few MB as malloc arenas and V8's spaces settle (a 1,000-image run here:
 * +5 MB in one step, then level). Over a short run one such step reads as a steep slope, so a
 * rise under this across the whole measured window counts as noise. Over 9,000 post-warm-up
 * images it is 1.1 MB per 1,000, below FLAT_RSS_SLOPE_MB_PER_1000: the full soak's verdict rests
 * on the slope alone.
 */
export const RSS_NOISE_MB = 10;

/**
 * Memory is flat when the engine holds exactly as many tensors at the end as after warm-up and
 * RSS grows by less than FLAT_RSS_SLOPE_MB_PER_1000 (a falling RSS is flat too), or by less than
 * RSS_NOISE_MB over the `windowImages` the slope was fitted on. An engine with no tensor registry
 * (undefined counts) is judged on RSS alone; a slope that could not be measured (NaN) is not flat.
 */
export function memoryFlat(s: { rssSlopeMbPer1000: number; windowImages: number; numTensorsStart?: number; numTensorsEnd?: number }): boolean {
  const rise = (s.rssSlopeMbPer1000 * s.windowImages) / 1000;
  return (s.rssSlopeMbPer1000 < FLAT_RSS_SLOPE_MB_PER_1000 || rise < RSS_NOISE_MB) && s.numTensorsStart === s.numTensorsEnd;
}
