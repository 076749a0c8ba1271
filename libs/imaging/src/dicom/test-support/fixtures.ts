import assert from 'node:assert/strict';
import { decodeToRgb } from '../../index';
import { writeDicom, xray, type Item, type WriteOptions } from './dicom-writer';

// What the DICOM decoding specs share: a small test image and how its decoded grey is read.

export const ROWS = 16;
export const COLS = 24;

/** A 12-bit ramp with a bright block, so position and value errors both show. */
export function ramp(offset = 0): Uint16Array {
  return Uint16Array.from(
    { length: ROWS * COLS },
    (_, i) => ((i % COLS) * 150 + Math.floor(i / COLS) * 20 + offset + (i % 7 === 0 ? 1000 : 0)) & 0xfff,
  );
}

/** The decoded grey, one value per pixel, at the image's own size (no resampling). */
export async function greyOf(file: Buffer, rows = ROWS, cols = COLS): Promise<number[]> {
  const rgb = await decodeToRgb(file, [rows, cols]);
  const out: number[] = [];
  for (let i = 0; i < rgb.length; i += 3) {
    assert.ok(rgb[i] === rgb[i + 1] && rgb[i] === rgb[i + 2], 'grey must become three equal channels');
    out.push(rgb[i]!);
  }
  return out;
}

export const windowed: Item = [
  [0x00281050, 'DS', '2048'],
  [0x00281051, 'DS', '4096'],
];

/** A chest radiograph (see `xray`) written as a DICOM file. */
export function file(spec: Parameters<typeof xray>[0], opts?: WriteOptions): Buffer {
  return writeDicom(xray(spec), opts);
}
