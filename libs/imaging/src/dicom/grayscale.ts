import type { PixelAttributes } from './attributes';

/** Raw sample words of one frame, one per pixel, as the file or codec delivers them. */
export type Samples = Uint8Array | Uint16Array;

/**
 * Applies the DICOM grayscale pipeline (PS3.4 N.2.1: modality rescale, then VOI LUT or window,
 * then MONOCHROME1 inversion) and returns 8-bit grey, 0 black, as a viewer would display it. The
 * model was trained on what radiologists see, not on detector counts.
 *
 * With no VOI in the file, 8-bit unsigned data are taken as already display-ready (secondary
 * captures of JPEGs, NIH's PNGs), and deeper data are stretched from their minimum to maximum.
 */
export function toDisplayGrey(samples: Samples, attrs: PixelAttributes): Uint8Array {
  const stored = storedValueOf(attrs);
  const modality = (raw: number) => stored(raw) * attrs.rescaleSlope + attrs.rescaleIntercept;
  const voi = voiFunction(samples, attrs, modality);
  const invert = attrs.photometric === 'MONOCHROME1';
  // Every pixel is one of at most 2^16 raw words: transform each word once, then look pixels up.
  const table = new Uint8Array(1 << attrs.bitsAllocated);
  for (let raw = 0; raw < table.length; raw++) {
    const y = Math.min(1, Math.max(0, voi(modality(raw))));
    table[raw] = Math.round((invert ? 1 - y : y) * 255);
  }
  const out = new Uint8Array(samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = table[samples[i]!]!;
  return out;
}

/** Plain unsigned bytes with no rescale: with no VOI in the file, shown as they are. */
function isDisplayReadyByte(attrs: PixelAttributes): boolean {
  return attrs.bitsStored === 8 && !attrs.signed && attrs.rescaleSlope === 1 && attrs.rescaleIntercept === 0;
}

/** Bits above Bits Stored may hold overlays or garbage; a signed value's top stored bit is its sign. */
function storedValueOf({ bitsStored, signed }: PixelAttributes): (raw: number) => number {
  const mask = 2 ** bitsStored - 1;
  const sign = 2 ** (bitsStored - 1);
  return (raw) => {
    const v = raw & mask;
    return signed && v >= sign ? v - 2 * sign : v;
  };
}

/** The VOI stage, mapping modality values onto [0, 1]. */
function voiFunction(samples: Samples, attrs: PixelAttributes, modality: (raw: number) => number): (x: number) => number {
  const { voiLut, window } = attrs;
  if (voiLut) {
    const last = voiLut.data.length - 1;
    const top = 2 ** voiLut.bits - 1;
    return (x) => voiLut.data[Math.min(last, Math.max(0, Math.round(x) - voiLut.firstMapped))]! / top;
  }
  if (window) {
    const { center: c, width: w } = window;
    if (window.fn === 'SIGMOID') return (x) => 1 / (1 + Math.exp((-4 * (x - c)) / w));
    if (window.fn === 'LINEAR_EXACT') return (x) => (x - c) / w + 0.5;
    // PS3.3 C.11.2.1.2.1: the "- 0.5" and "- 1" centre the window on integer-valued input.
    return (x) => (x <= c - 0.5 - (w - 1) / 2 ? 0 : x > c - 0.5 + (w - 1) / 2 ? 1 : (x - (c - 0.5)) / (w - 1) + 0.5);
  }
  if (isDisplayReadyByte(attrs)) return (x) => x / 255;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < samples.length; i++) {
    const m = modality(samples[i]!);
    if (m < lo) lo = m;
    if (m > hi) hi = m;
  }
  return hi > lo ? (x) => (x - lo) / (hi - lo) : () => 0;
}
