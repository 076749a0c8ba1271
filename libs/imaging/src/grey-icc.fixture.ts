import { crc32, deflateSync } from 'node:zlib';

/** Test fixture: a minimal ICC v2 grey display profile with a pure-gamma tone curve. */
export function greyIccProfile(gamma: number): Buffer {
  const d50 = [0.9642, 1, 0.8249];
  const xyz = (values: number[]) => {
    const b = Buffer.alloc(12);
    values.forEach((v, i) => b.writeInt32BE(Math.round(v * 65536), i * 4));
    return b;
  };
  const text = 'grey test profile\0';
  const desc = Buffer.concat([
    Buffer.from('desc\0\0\0\0'),
    u32(text.length),
    Buffer.from(text, 'latin1'),
    Buffer.alloc(4 + 4 + 2 + 1 + 67),
  ]);
  const tags: Array<[string, Buffer]> = [
    ['desc', desc],
    ['wtpt', Buffer.concat([Buffer.from('XYZ \0\0\0\0'), xyz(d50)])],
    ['kTRC', Buffer.concat([Buffer.from('curv\0\0\0\0'), u32(1), u16(Math.round(gamma * 256)), Buffer.alloc(2)])],
    ['cprt', Buffer.from('text\0\0\0\0none\0\0\0\0')],
  ];
  const table = Buffer.alloc(4 + tags.length * 12);
  table.writeUInt32BE(tags.length, 0);
  let offset = 128 + table.length;
  const bodies: Buffer[] = [];
  tags.forEach(([sig, body], i) => {
    const padded = Buffer.concat([body, Buffer.alloc((4 - (body.length % 4)) % 4)]);
    table.write(sig, 4 + i * 12, 'latin1');
    table.writeUInt32BE(offset, 8 + i * 12);
    table.writeUInt32BE(body.length, 12 + i * 12);
    bodies.push(padded);
    offset += padded.length;
  });
  const header = Buffer.alloc(128);
  header.writeUInt32BE(offset, 0);
  header.writeUInt32BE(0x02100000, 8);
  header.write('mntrGRAYXYZ ', 12, 'latin1');
  header.write('acsp', 36, 'latin1');
  xyz(d50).copy(header, 68);
  return Buffer.concat([header, table, ...bodies]);
}

/** Inserts an iCCP chunk (embedded profile) right after a PNG's IHDR chunk. */
export function embedIccInPng(png: Buffer, profile: Buffer): Buffer {
  const ihdrEnd = 8 + 8 + png.readUInt32BE(8) + 4;
  const data = Buffer.concat([Buffer.from('test\0\0', 'latin1'), deflateSync(profile)]);
  const typeAndData = Buffer.concat([Buffer.from('iCCP', 'latin1'), data]);
  const chunk = Buffer.concat([u32(data.length), typeAndData, u32(crc32(typeAndData))]);
  return Buffer.concat([png.subarray(0, ihdrEnd), chunk, png.subarray(ihdrEnd)]);
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0, 0);
  return b;
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n, 0);
  return b;
}
