import { randomUUID } from 'node:crypto';

/**
 * A small DICOM writer: data sets in Explicit VR Little Endian with defined lengths throughout,
 * wrapped as Part 10 files. Enough for the objects pneumoscreen makes (SR, Secondary Capture); it
 * never rewrites a source file.
 */

/** `gggg,eeee` as one number: 0x00100010 is (0010,0010). */
export type Tag = number;

export type DicomValue =
  | { vr: StringVr; value: string | string[] }
  /** Bytes as a source file carried them (already padded to even length), copied unread. */
  | { vr: StringVr; raw: Uint8Array }
  | { vr: 'US' | 'UL'; value: number | number[] }
  | { vr: 'OB' | 'OW'; bytes: Uint8Array }
  | { vr: 'SQ'; items: DataSet[] };

export type StringVr = 'AE' | 'AS' | 'CS' | 'DA' | 'DS' | 'DT' | 'IS' | 'LO' | 'LT' | 'PN' | 'SH' | 'ST' | 'TM' | 'UC' | 'UI' | 'UR' | 'UT';

export type DataSet = Map<Tag, DicomValue>;

export const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
/** pneumoscreen's implementation class: a UUID-derived root, as PS3.5 B.2 allows without a registered one. */
export const IMPLEMENTATION_CLASS_UID = '2.25.156606117146185361390178893786226424233';
const IMPLEMENTATION_VERSION = 'PNEUMOSCREEN_1';

/** VRs whose length takes 4 bytes after 2 reserved ones (PS3.5 7.1.2). */
const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);
/** Strings padded with a NUL rather than a space (PS3.5 6.2). */
const NUL_PADDED = new Set(['UI']);

/** A new UID under the 2.25 root: a random UUID as one decimal integer (PS3.5 B.2). */
export function newUid(): string {
  return `2.25.${BigInt(`0x${randomUUID().replace(/-/g, '')}`).toString()}`;
}

export function dataSet(entries: ReadonlyArray<readonly [Tag, DicomValue | undefined]>): DataSet {
  return new Map(entries.filter((e): e is [Tag, DicomValue] => e[1] !== undefined));
}

/** The data set's elements in ascending tag order, as PS3.5 7.1 requires. */
export function encodeDataSet(ds: DataSet): Buffer {
  return Buffer.concat([...ds.entries()].sort(([a], [b]) => a - b).map(([tag, value]) => encodeElement(tag, value)));
}

/** A Part 10 file: preamble, "DICM", the file meta group, then `ds` in Explicit VR Little Endian. */
export function part10(ds: DataSet): Buffer {
  const sopClass = stringOf(ds, 0x00080016);
  const sopInstance = stringOf(ds, 0x00080018);
  const meta = encodeDataSet(
    dataSet([
      [0x00020001, { vr: 'OB', bytes: Uint8Array.from([0, 1]) }],
      [0x00020002, { vr: 'UI', value: sopClass }],
      [0x00020003, { vr: 'UI', value: sopInstance }],
      [0x00020010, { vr: 'UI', value: EXPLICIT_VR_LITTLE_ENDIAN }],
      [0x00020012, { vr: 'UI', value: IMPLEMENTATION_CLASS_UID }],
      [0x00020013, { vr: 'SH', value: IMPLEMENTATION_VERSION }],
    ]),
  );
  const groupLength = encodeElement(0x00020000, { vr: 'UL', value: meta.length });
  return Buffer.concat([Buffer.alloc(128), Buffer.from('DICM', 'latin1'), groupLength, meta, encodeDataSet(ds)]);
}

function stringOf(ds: DataSet, tag: Tag): string {
  const v = ds.get(tag);
  if (!v || !('value' in v) || typeof v.value !== 'string')
    throw new Error(`the data set has no (${hex(tag >>> 16)},${hex(tag & 0xffff)})`);
  return v.value;
}

function encodeElement(tag: Tag, v: DicomValue): Buffer {
  const body = encodeValue(v);
  const long = LONG_VRS.has(v.vr);
  const header = Buffer.alloc(long ? 12 : 8);
  header.writeUInt16LE(tag >>> 16, 0);
  header.writeUInt16LE(tag & 0xffff, 2);
  header.write(v.vr, 4, 'latin1');
  if (long) header.writeUInt32LE(body.length, 8);
  else {
    if (body.length > 0xffff)
      throw new Error(`(${hex(tag >>> 16)},${hex(tag & 0xffff)}) ${v.vr} value of ${body.length} bytes is too long`);
    header.writeUInt16LE(body.length, 6);
  }
  return Buffer.concat([header, body]);
}

function encodeValue(v: DicomValue): Buffer {
  if (v.vr === 'SQ') {
    return Buffer.concat(
      v.items.map((item) => {
        const body = encodeDataSet(item);
        const header = Buffer.alloc(8);
        header.writeUInt16LE(0xfffe, 0);
        header.writeUInt16LE(0xe000, 2);
        header.writeUInt32LE(body.length, 4);
        return Buffer.concat([header, body]);
      }),
    );
  }
  if (v.vr === 'US' || v.vr === 'UL') {
    const values = [v.value].flat();
    const size = v.vr === 'US' ? 2 : 4;
    const out = Buffer.alloc(values.length * size);
    values.forEach((n, i) => (size === 2 ? out.writeUInt16LE(n, i * 2) : out.writeUInt32LE(n, i * 4)));
    return out;
  }
  if ('bytes' in v) return padded(Buffer.from(v.bytes.buffer, v.bytes.byteOffset, v.bytes.byteLength), 0);
  if ('raw' in v) return padded(Buffer.from(v.raw), v.vr === 'UI' ? 0 : 0x20);
  // pneumoscreen's own strings are ASCII (names, versions, codes); values copied from a source
  // keep their bytes ('raw') with the source's Specific Character Set.
  const text = [v.value].flat().join('\\');
  return padded(Buffer.from(text, 'latin1'), NUL_PADDED.has(v.vr) ? 0 : 0x20);
}

function padded(b: Buffer, pad: number): Buffer {
  return b.length % 2 === 0 ? b : Buffer.concat([b, Buffer.from([pad])]);
}

function hex(n: number): string {
  return n.toString(16).toUpperCase().padStart(4, '0');
}
