import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { imagesInOneStudy, type BadInputRecord, type InputContext, type InputKind } from './bad-input';

/** A PNG whose header says `width` x `height` 8-bit grey, with `idat` as its compressed data. */
function png(width: number, height: number, idat: Buffer): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 0, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', idat),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function crc32(b: Buffer): number {
  let c = ~0;
  for (const byte of b) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

/** A JPEG's SOF0 height and width replaced, so its header claims far more pixels than it has. */
function jpegClaiming(jpeg: Buffer, height: number, width: number): Buffer {
  const out = Buffer.from(jpeg);
  for (let i = 2; i < out.length - 9;) {
    if (out[i] !== 0xff) break;
    const marker = out[i + 1]!;
    if (marker >= 0xc0 && marker <= 0xc2) {
      out.writeUInt16BE(height, i + 5);
      out.writeUInt16BE(width, i + 7);
      return out;
    }
    i += 2 + out.readUInt16BE(i + 2);
  }
  throw new Error('no SOF marker in the sample JPEG');
}

const KINDS: Record<string, InputKind> = {};
const kindOf = (name: string) => KINDS[name]!;

/** Corrupt, empty, huge and bomb images and things that are not images at all, as study files. */
export async function badImages(ctx: InputContext): Promise<BadInputRecord[]> {
  const xray = ctx.workload.pickXray();
  const rowBytes = 12_001;
  // 144 megapixels of zeros compress to about 140 KB: a real decompression bomb.
  const bomb = png(12_000, 12_000, deflateSync(Buffer.alloc(rowBytes * 12_000), { level: 9 }));
  const tinyPng = await sharp({ create: { width: 1, height: 1, channels: 3, background: '#000' } })
    .png()
    .toBuffer();
  const gif = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#888' } })
    .gif()
    .toBuffer();
  const webp = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#888' } })
    .webp()
    .toBuffer();
  const validPng = await sharp(xray).png().toBuffer();
  const badCrc = Buffer.from(validPng);
  badCrc.fill(0x5a, 200, 260);
  const items: Array<{ kind: InputKind; name: string; body: Buffer | string }> = [
    { kind: 'corrupt-image', name: 'truncated.jpeg', body: xray.subarray(0, Math.floor(xray.length * 0.4)) },
    {
      kind: 'corrupt-image',
      name: 'soi-then-noise.jpeg',
      body: Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(4096, 0x7f)]),
    },
    {
      kind: 'corrupt-image',
      name: 'png-signature-then-noise.png',
      body: Buffer.concat([validPng.subarray(0, 8), Buffer.alloc(2048, 0x11)]),
    },
    { kind: 'corrupt-image', name: 'png-damaged-idat.png', body: badCrc },
    { kind: 'corrupt-image', name: 'jpeg-named-png.png', body: Buffer.concat([Buffer.from([0x89, 0x50]), xray.subarray(2)]) },
    { kind: 'empty-image', name: 'empty.jpeg', body: Buffer.alloc(0) },
    { kind: 'empty-image', name: 'empty.png', body: Buffer.alloc(0) },
    { kind: 'empty-image', name: 'empty.dcm', body: Buffer.alloc(0) },
    { kind: 'empty-image', name: 'one-pixel.png', body: tinyPng },
    { kind: 'huge-image', name: 'nine-mebibytes.jpeg', body: Buffer.concat([xray, Buffer.alloc(9 * 1024 * 1024)]) },
    {
      kind: 'huge-image',
      name: 'nine-mebibytes-no-extension',
      body: Buffer.concat([Buffer.alloc(128), Buffer.from('DICM'), Buffer.alloc(9 * 1024 * 1024)]),
    },
    { kind: 'decompression-bomb', name: 'bomb-144-megapixels.png', body: bomb },
    { kind: 'decompression-bomb', name: 'header-claims-65000x65000.jpeg', body: jpegClaiming(xray, 65_000, 65_000) },
    { kind: 'decompression-bomb', name: 'header-claims-100000x100000.png', body: png(100_000, 100_000, deflateSync(Buffer.alloc(1000))) },
    { kind: 'non-image', name: 'text.jpeg', body: 'hello, this is not an X-ray\n' },
    { kind: 'non-image', name: 'document.png', body: '%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n' },
    { kind: 'non-image', name: 'page.jpeg', body: '<!doctype html><script>alert(1)</script>' },
    { kind: 'non-image', name: 'vector.png', body: '<svg xmlns="http://www.w3.org/2000/svg" width="9999" height="9999"/>' },
    { kind: 'non-image', name: 'archive.jpeg', body: deflateSync(Buffer.alloc(100_000)) },
    { kind: 'non-image', name: 'program', body: Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]), Buffer.alloc(512)]) },
    { kind: 'non-image', name: 'data.jpeg', body: JSON.stringify({ studyId: 'b-victim', callbackUrl: 'http://evil.test/' }) },
    { kind: 'non-image', name: 'animation.gif', body: gif },
    { kind: 'non-image', name: 'picture.webp', body: webp },
  ];
  for (const it of items) KINDS[it.name] = it.kind;
  return imagesInOneStudy(ctx, kindOf, items);
}
