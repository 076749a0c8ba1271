import type { DataSet } from 'dicom-parser';
import { ImageDecodeError } from '../errors';

/** A VOI LUT (PS3.3 C.11.2): input values below `firstMapped` take the first entry, above the
 * last take the last; output runs from 0 to 2^bits - 1. */
export interface VoiLut {
  firstMapped: number;
  bits: number;
  data: Uint16Array;
}

export type VoiFunction = 'LINEAR' | 'LINEAR_EXACT' | 'SIGMOID';

/** What it takes to turn stored pixel values into a grey image. */
export interface PixelAttributes {
  rows: number;
  columns: number;
  photometric: 'MONOCHROME1' | 'MONOCHROME2';
  bitsAllocated: 8 | 16;
  bitsStored: number;
  signed: boolean;
  numberOfFrames: number;
  rescaleSlope: number;
  rescaleIntercept: number;
  voiLut?: VoiLut;
  window?: { center: number; width: number; fn: VoiFunction };
}

/** Refuses what this reader cannot turn into a grey image; every such case is a header fact, so it
 * is known before any pixel is decoded. */
export function readPixelAttributes(ds: DataSet): PixelAttributes {
  const rows = ds.uint16('x00280010');
  const columns = ds.uint16('x00280011');
  const bitsAllocated = ds.uint16('x00280100');
  if (!rows || !columns || !bitsAllocated || !ds.elements.x7fe00010) {
    throw new ImageDecodeError('unsupported-format', 'DICOM file holds no image (no Rows, Columns, Bits Allocated or Pixel Data)');
  }
  const samples = ds.uint16('x00280002') ?? 1;
  const photometric = codeString(ds, 'x00280004') ?? (samples === 1 ? 'MONOCHROME2' : 'RGB');
  if (samples !== 1 || (photometric !== 'MONOCHROME1' && photometric !== 'MONOCHROME2')) {
    throw new ImageDecodeError(
      'unsupported-format',
      `DICOM colour images are not read (${samples} samples per pixel); a radiograph is MONOCHROME1 or MONOCHROME2`,
    );
  }
  const bitsStored = ds.uint16('x00280101') ?? bitsAllocated;
  if ((bitsAllocated !== 8 && bitsAllocated !== 16) || bitsStored < 1 || bitsStored > bitsAllocated) {
    throw new ImageDecodeError(
      'unsupported-format',
      `unsupported DICOM sample layout: ${bitsStored} bits stored in ${bitsAllocated} allocated (expected 8 or 16 allocated)`,
    );
  }
  const signed = ds.uint16('x00280103') === 1;
  return {
    rows,
    columns,
    photometric,
    bitsAllocated,
    bitsStored,
    signed,
    numberOfFrames: Math.max(1, Math.trunc(number(ds, 'x00280008') ?? 1)),
    rescaleSlope: number(ds, 'x00281053') || 1,
    rescaleIntercept: number(ds, 'x00281052') ?? 0,
    voiLut: readVoiLut(ds, signed),
    window: readWindow(ds),
  };
}

/** A Code String attribute, trimmed and upper-cased; undefined when absent or empty. */
export function codeString(ds: DataSet, tag: string): string | undefined {
  const value = ds.string(tag)?.trim().toUpperCase();
  return value ? value : undefined;
}

/** Only values shaped like a DICOM Code String are echoed back, so a hostile or mis-filled field
 * can never carry free text (a name, an id) into results or logs. */
export function printable(value: string | undefined): string | undefined {
  return value !== undefined && /^[A-Z0-9 _]{1,16}$/.test(value) ? value : undefined;
}

function number(ds: DataSet, tag: string): number | undefined {
  const value = ds.floatString(tag, 0);
  return value !== undefined && Number.isFinite(value) ? value : undefined;
}

function readWindow(ds: DataSet): PixelAttributes['window'] {
  const center = number(ds, 'x00281050');
  const width = number(ds, 'x00281051');
  // PS3.3 C.11.2.1.2: a width below 1 has no defined meaning; treat it as no window at all.
  if (center === undefined || width === undefined || width < 1) return undefined;
  const fn = codeString(ds, 'x00281056');
  return { center, width, fn: fn === 'LINEAR_EXACT' || fn === 'SIGMOID' ? fn : 'LINEAR' };
}

function readVoiLut(ds: DataSet, signed: boolean): VoiLut | undefined {
  const item = ds.elements.x00283010?.items?.[0]?.dataSet;
  const descriptor = item?.elements.x00283002;
  const lut = item?.elements.x00283006;
  if (!item || !descriptor || descriptor.length < 6 || !lut) return undefined;
  const entries = item.uint16('x00283002', 0) || 65536;
  const rawFirst = item.uint16('x00283002', 1)!;
  const bits = item.uint16('x00283002', 2)!;
  if (bits < 1 || bits > 16) return undefined;
  // 16-bit entries fill two bytes each; 8-bit ones are sometimes packed one per byte instead.
  const wide = lut.length >= entries * 2;
  if (!wide && lut.length < entries) return undefined;
  const data = new Uint16Array(entries);
  // uint16 reads in the transfer syntax's byte order (big endian files too).
  for (let i = 0; i < entries; i++) data[i] = wide ? item.uint16('x00283006', i)! : item.byteArray[lut.dataOffset + i]!;
  return { firstMapped: signed && rawFirst >= 0x8000 ? rawFirst - 0x10000 : rawFirst, bits, data };
}
