/**
 * A minimal HDF5 writer for tests, so they can make Keras `.h5` files with known contents (no
 * HDF5 library is available here). It writes what h5py writes by default: superblock v0,
 * version-1 object headers, groups as symbol tables (v1 B-tree + local heap + one symbol node),
 * contiguous little-endian float32 datasets and fixed-length, NUL-padded string attributes.
 */

export type H5Attr = string | string[];
export interface H5Dataset {
  shape: number[];
  values: Float32Array;
}
export interface H5Group {
  attrs?: Record<string, H5Attr>;
  members: Record<string, H5Group | H5Dataset>;
}

const UNDEFINED = 0xffffffffffffffffn;
/** Symbol-node entries per group node = 2 * LEAF_K; every group here fits in one node. */
const LEAF_K = 32;
const INTERNAL_K = 16;
const SUPERBLOCK_SIZE = 96;
/** The HDF5 library's "no free block" marker in a local heap. */
const HEAP_FREE_NULL = 1n;

class Writer {
  private chunks: Buffer[] = [];
  size = 0;

  /** Appends `bytes` at the next 8-byte boundary and returns their address. */
  put(bytes: Buffer): number {
    const pad = (8 - (this.size % 8)) % 8;
    if (pad) this.chunks.push(Buffer.alloc(pad));
    const at = this.size + pad;
    this.chunks.push(bytes);
    this.size = at + bytes.length;
    return at;
  }

  bytes(): Uint8Array {
    return new Uint8Array(Buffer.concat(this.chunks));
  }
}

function u8(...values: number[]): Buffer {
  return Buffer.from(values);
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
function u64(v: number | bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(v));
  return b;
}
function padded(b: Buffer): Buffer {
  return Buffer.concat([b, Buffer.alloc((8 - (b.length % 8)) % 8)]);
}

function float32Type(): Buffer {
  // IEEE little-endian: sign bit 31, exponent 23..30 (bias 127), mantissa 0..22, implied MSB.
  return Buffer.concat([u8(0x11, 0x20, 31, 0), u32(4), u16(0), u16(32), u8(23, 8, 0, 23), u32(127)]);
}
function stringType(length: number): Buffer {
  return Buffer.concat([u8(0x13, 0x01, 0, 0), u32(length)]);
}
function dataspace(shape: number[]): Buffer {
  return Buffer.concat([u8(1, shape.length, 0, 0), u32(0), ...shape.map(u64)]);
}

function message(type: number, body: Buffer): Buffer {
  const data = padded(body);
  return Buffer.concat([u16(type), u16(data.length), u8(0, 0, 0, 0), data]);
}

function objectHeader(messages: Buffer[]): Buffer {
  const body = Buffer.concat(messages);
  return Buffer.concat([u8(1, 0), u16(messages.length), u32(1), u32(body.length), u32(0), body]);
}

function attribute(name: string, value: H5Attr): Buffer {
  const items = (Array.isArray(value) ? value : [value]).map((s) => Buffer.from(s, 'utf8'));
  const length = Math.max(1, ...items.map((b) => b.length));
  const nameBytes = Buffer.concat([Buffer.from(name, 'utf8'), u8(0)]);
  const type = stringType(length);
  const space = dataspace(Array.isArray(value) ? [value.length] : []);
  const data = Buffer.concat(items.map((b) => Buffer.concat([b, Buffer.alloc(length - b.length)])));
  const head = Buffer.concat([u8(1, 0), u16(nameBytes.length), u16(type.length), u16(space.length)]);
  return message(0x000c, Buffer.concat([head, padded(nameBytes), padded(type), padded(space), data]));
}

function symbolEntry(nameOffset: number, header: number, tables?: { btree: number; heap: number }): Buffer {
  const scratch = tables ? Buffer.concat([u64(tables.btree), u64(tables.heap)]) : Buffer.alloc(16);
  return Buffer.concat([u64(nameOffset), u64(header), u32(tables ? 1 : 0), u32(0), scratch]);
}

interface Written {
  header: number;
  tables?: { btree: number; heap: number };
}

function writeDataset(w: Writer, d: H5Dataset): Written {
  if (d.values.length !== d.shape.reduce((a, b) => a * b, 1)) throw new Error(`${d.values.length} values for shape [${d.shape}]`);
  const data = w.put(Buffer.from(d.values.buffer, d.values.byteOffset, d.values.byteLength));
  const header = objectHeader([
    message(0x0001, dataspace(d.shape)),
    message(0x0003, float32Type()),
    message(0x0005, u8(2, 2, 2, 0)),
    message(0x0008, Buffer.concat([u8(3, 1), u64(data), u64(d.values.byteLength)])),
  ]);
  return { header: w.put(header) };
}

function writeGroup(w: Writer, g: H5Group): Written {
  // Symbol nodes keep their entries sorted by name, byte-wise.
  const names = Object.keys(g.members).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  if (names.length > 2 * LEAF_K) throw new Error(`test HDF5 writer: a group holds at most ${2 * LEAF_K} members`);
  const children = names.map((name) => {
    const m = g.members[name]!;
    return 'members' in m ? writeGroup(w, m) : writeDataset(w, m);
  });

  const heapParts: Buffer[] = [Buffer.alloc(8)];
  const offsets = names.map((name) => {
    const at = heapParts.reduce((n, b) => n + b.length, 0);
    heapParts.push(padded(Buffer.concat([Buffer.from(name, 'utf8'), u8(0)])));
    return at;
  });
  const heapData = Buffer.concat(heapParts);
  const heapDataAt = w.put(heapData);
  const heap = w.put(Buffer.concat([Buffer.from('HEAP'), u8(0, 0, 0, 0), u64(heapData.length), u64(HEAP_FREE_NULL), u64(heapDataAt)]));

  const entries = children.map((c, i) => symbolEntry(offsets[i]!, c.header, c.tables));
  const snodSize = 8 + 2 * LEAF_K * 40;
  const snod = Buffer.concat([Buffer.from('SNOD'), u8(1, 0), u16(entries.length), ...entries]);
  const snodAt = w.put(Buffer.concat([snod, Buffer.alloc(snodSize - snod.length)]));

  const lastKey = offsets.length ? offsets[offsets.length - 1]! : 0;
  const node = Buffer.concat([
    Buffer.from('TREE'),
    u8(0, 0),
    u16(names.length ? 1 : 0),
    u64(UNDEFINED),
    u64(UNDEFINED),
    u64(0),
    u64(snodAt),
    u64(lastKey),
  ]);
  const nodeSize = 24 + 2 * INTERNAL_K * 16 + 8;
  const btree = w.put(Buffer.concat([node, Buffer.alloc(nodeSize - node.length)]));

  const attrs = Object.entries(g.attrs ?? {}).map(([k, v]) => attribute(k, v));
  const header = w.put(objectHeader([message(0x0011, Buffer.concat([u64(btree), u64(heap)])), ...attrs]));
  return { header, tables: { btree, heap } };
}

export function writeHdf5(root: H5Group): Uint8Array {
  const w = new Writer();
  w.put(Buffer.alloc(SUPERBLOCK_SIZE));
  const written = writeGroup(w, root);
  const bytes = w.bytes();
  const superblock = Buffer.concat([
    Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]),
    u8(0, 0, 0, 0, 0, 8, 8, 0),
    u16(LEAF_K),
    u16(INTERNAL_K),
    u32(0),
    u64(0),
    u64(UNDEFINED),
    u64(bytes.length),
    u64(UNDEFINED),
    symbolEntry(0, written.header, written.tables),
  ]);
  bytes.set(superblock, 0);
  return bytes;
}
