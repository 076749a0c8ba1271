/**
 * A minimal DICOM writer for tests: enough of PS3.5/PS3.10 to build files with known pixel values
 * in every layout the reader must handle (with or without preamble and meta group, implicit or
 * explicit VR, native or encapsulated pixel data, sequences).
 */

export type Value = string | number | number[] | Uint8Array | Uint16Array | Item[];
/** Tag as 0xGGGGEEEE. */
export type Item = Array<[tag: number, vr: string, value: Value]>;

export const TS = {
  implicit: '1.2.840.10008.1.2',
  explicit: '1.2.840.10008.1.2.1',
  jpegLs: '1.2.840.10008.1.2.4.80',
  jpegBaseline: '1.2.840.10008.1.2.4.50',
  jpegLossless: '1.2.840.10008.1.2.4.70',
  jpeg2000Lossless: '1.2.840.10008.1.2.4.90',
  rle: '1.2.840.10008.1.2.5',
} as const;

export interface WriteOptions {
  transferSyntax?: string;
  /** false: no 128-byte preamble and "DICM" (the meta group, if any, starts the file). */
  preamble?: boolean;
  /** false: a bare data set, as ACR-NEMA-era systems export. */
  meta?: boolean;
  /** Compressed frames; each becomes one fragment unless `fragments` splits them differently. */
  encapsulated?: { fragments: Uint8Array[]; offsetTable?: number[] };
}

const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OW', 'SQ', 'UN', 'UT', 'UC', 'UR']);
const UNDEFINED = 0xffffffff;

export function writeDicom(dataset: Item, opts: WriteOptions = {}): Buffer {
  const ts = opts.transferSyntax ?? TS.explicit;
  const explicit = ts !== TS.implicit;
  const parts: Buffer[] = [];
  if (opts.preamble !== false && opts.meta !== false) parts.push(Buffer.alloc(128), Buffer.from('DICM'));
  if (opts.meta !== false) {
    const meta = encodeItem(
      [
        [0x00020001, 'OB', new Uint8Array([0, 1])],
        [0x00020002, 'UI', '1.2.840.10008.5.1.4.1.1.1'],
        [0x00020003, 'UI', '1.2.3.4.5.6.7'],
        [0x00020010, 'UI', ts],
        [0x00020012, 'UI', '1.2.3.4'],
      ],
      true,
    );
    parts.push(element(0x00020000, 'UL', u32(meta.length), true), meta);
  }
  parts.push(encodeItem(dataset, explicit));
  if (opts.encapsulated) parts.push(encapsulatedPixelData(opts.encapsulated, explicit));
  return Buffer.concat(parts);
}

function encodeItem(item: Item, explicit: boolean): Buffer {
  const sorted = [...item].sort((a, b) => a[0] - b[0]);
  return Buffer.concat(
    sorted.map(([tag, vr, value]) =>
      vr === 'SQ' ? sequence(tag, value as Item[], explicit) : element(tag, vr, encode(vr, value), explicit),
    ),
  );
}

function element(tag: number, vr: string, value: Buffer, explicit: boolean): Buffer {
  return Buffer.concat([header(tag, vr, value.length, explicit), value]);
}

function header(tag: number, vr: string, length: number, explicit: boolean): Buffer {
  const t = Buffer.alloc(4);
  t.writeUInt16LE(tag >>> 16, 0);
  t.writeUInt16LE(tag & 0xffff, 2);
  if (!explicit || tag >>> 16 === 0xfffe) return Buffer.concat([t, u32(length)]);
  if (LONG_VRS.has(vr)) return Buffer.concat([t, Buffer.from(vr), Buffer.alloc(2), u32(length)]);
  const l = Buffer.alloc(2);
  l.writeUInt16LE(length);
  return Buffer.concat([t, Buffer.from(vr), l]);
}

function sequence(tag: number, items: Item[], explicit: boolean): Buffer {
  const parts = [header(tag, 'SQ', UNDEFINED, explicit)];
  for (const item of items)
    parts.push(header(0xfffee000, '', UNDEFINED, explicit), encodeItem(item, explicit), header(0xfffee00d, '', 0, explicit));
  parts.push(header(0xfffee0dd, '', 0, explicit));
  return Buffer.concat(parts);
}

function encapsulatedPixelData({ fragments, offsetTable = [] }: NonNullable<WriteOptions['encapsulated']>, explicit: boolean): Buffer {
  const parts = [header(0x7fe00010, 'OB', UNDEFINED, explicit), element(0xfffee000, '', Buffer.concat(offsetTable.map(u32)), explicit)];
  for (const f of fragments) parts.push(element(0xfffee000, '', even(Buffer.from(f), 0), explicit));
  parts.push(header(0xfffee0dd, '', 0, explicit));
  return Buffer.concat(parts);
}

function encode(vr: string, value: Value): Buffer {
  if (value instanceof Uint16Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (value instanceof Uint8Array) return even(Buffer.from(value), 0);
  const values = Array.isArray(value) ? (value as number[]) : [value as number | string];
  switch (vr) {
    case 'US':
      return Buffer.concat(values.map((v) => u16(Number(v))));
    case 'SS':
      return Buffer.concat(values.map((v) => u16(Number(v) & 0xffff)));
    case 'UL':
      return Buffer.concat(values.map((v) => u32(Number(v))));
    default:
      return even(Buffer.from(values.join('\\'), 'latin1'), vr === 'UI' ? 0 : 0x20);
  }
}

/** DICOM values have even length; UIDs pad with NUL, text with a space. */
function even(b: Buffer, pad: number): Buffer {
  return b.length % 2 ? Buffer.concat([b, Buffer.from([pad])]) : b;
}

function u16(v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(v);
  return b;
}

function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v);
  return b;
}

/** Patient attributes every generated file carries, so tests can prove none of them leaks. */
export const PATIENT = { name: 'Doe^Jane', id: 'PID-4711-SECRET', birthDate: '19700101' } as const;

export interface ImageSpec {
  rows: number;
  columns: number;
  bitsAllocated?: 8 | 16;
  bitsStored?: number;
  signed?: boolean;
  photometric?: string;
  frames?: number;
  /** Native pixel data (all frames); leave out for encapsulated files. */
  pixels?: Uint8Array | Uint16Array;
  /** Attributes to add or replace. */
  extra?: Item;
  /** Tags to leave out. */
  omit?: number[];
}

/** A chest CR data set with patient attributes and the given image. */
export function xray(spec: ImageSpec): Item {
  const bits = spec.bitsAllocated ?? 16;
  const item: Item = [
    [0x00080060, 'CS', 'CR'],
    [0x00100010, 'PN', PATIENT.name],
    [0x00100020, 'LO', PATIENT.id],
    [0x00100030, 'DA', PATIENT.birthDate],
    [0x00180015, 'CS', 'CHEST'],
    [0x00185101, 'CS', 'PA'],
    [0x0020000d, 'UI', '1.2.826.0.1.3680043.2.1125.1'],
    [0x00280002, 'US', 1],
    [0x00280004, 'CS', spec.photometric ?? 'MONOCHROME2'],
    [0x00280008, 'IS', String(spec.frames ?? 1)],
    [0x00280010, 'US', spec.rows],
    [0x00280011, 'US', spec.columns],
    [0x00280100, 'US', bits],
    [0x00280101, 'US', spec.bitsStored ?? bits],
    [0x00280102, 'US', (spec.bitsStored ?? bits) - 1],
    [0x00280103, 'US', spec.signed ? 1 : 0],
  ];
  if (spec.pixels) item.push([0x7fe00010, bits === 8 ? 'OB' : 'OW', spec.pixels]);
  const extra = new Map((spec.extra ?? []).map((e) => [e[0], e]));
  return [...item.filter(([tag]) => !extra.has(tag) && !spec.omit?.includes(tag)), ...extra.values()];
}
