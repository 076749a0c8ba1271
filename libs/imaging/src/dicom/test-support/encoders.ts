import openJpeg from '@cornerstonejs/codec-openjpeg/wasmjs';

/**
 * Encoders for tests, so every compressed transfer syntax is checked against pixel values the
 * test chose, not only against whatever sample files exist.
 */

/** DICOM RLE Lossless frame (PS3.5 G.3): byte planes, most significant first, PackBits each. */
export function encodeRle(samples: Uint8Array | Uint16Array, bitsAllocated: 8 | 16): Uint8Array {
  const planes =
    bitsAllocated === 8 ? [Uint8Array.from(samples)] : [Uint8Array.from(samples, (v) => v >> 8), Uint8Array.from(samples, (v) => v & 0xff)];
  const segments = planes.map(packBits);
  const header = Buffer.alloc(64);
  header.writeUInt32LE(segments.length, 0);
  let offset = 64;
  segments.forEach((seg, i) => {
    header.writeUInt32LE(offset, 4 + 4 * i);
    offset += seg.length;
  });
  return Buffer.concat([header, ...segments]);
}

function packBits(src: Uint8Array): Buffer {
  const out: number[] = [];
  let i = 0;
  while (i < src.length) {
    let run = 1;
    while (i + run < src.length && run < 128 && src[i + run] === src[i]) run++;
    if (run >= 3) {
      out.push(257 - run, src[i]!);
      i += run;
      continue;
    }
    let lit = 1;
    while (i + lit < src.length && lit < 128 && !(src[i + lit] === src[i + lit + 1] && src[i + lit] === src[i + lit + 2])) lit++;
    out.push(lit - 1, ...src.subarray(i, i + lit));
    i += lit;
  }
  if (out.length % 2) out.push(0x80); // segments are even-length; -128 is the no-op
  return Buffer.from(out);
}

/**
 * JPEG lossless, process 14, first-order prediction (selection value 1): one Huffman table in
 * which every difference category 0-16 has a 5-bit code equal to its number.
 */
export function encodeJpegLossless(samples: Uint8Array | Uint16Array, width: number, height: number, precision: number): Uint8Array {
  const bits = new BitWriter();
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const pred = x === 0 && y === 0 ? 1 << (precision - 1) : y === 0 || x > 0 ? samples[i - 1]! : samples[i - width]!;
      let diff = (samples[i]! - pred) & 0xffff;
      if (diff > 0x8000) diff -= 0x10000;
      const category = diff === 0 ? 0 : Math.abs(diff).toString(2).length;
      bits.write(category, 5);
      if (category > 0 && category < 16) bits.write(diff > 0 ? diff : diff + (1 << category) - 1, category);
    }
  }
  const sof = [0xff, 0xc3, 0, 11, precision, height >> 8, height & 255, width >> 8, width & 255, 1, 1, 0x11, 0];
  const counts = Array.from({ length: 16 }, (_, i) => (i === 4 ? 17 : 0));
  const dht = [0xff, 0xc4, 0, 2 + 1 + 16 + 17, 0x00, ...counts, ...Array.from({ length: 17 }, (_, i) => i)];
  const sos = [0xff, 0xda, 0, 8, 1, 1, 0x00, 1, 0, 0];
  return Buffer.from([0xff, 0xd8, ...sof, ...dht, ...sos, ...bits.finish(), 0xff, 0xd9]);
}

class BitWriter {
  private readonly bytes: number[] = [];
  private acc = 0;
  private n = 0;

  write(value: number, count: number): void {
    for (let b = count - 1; b >= 0; b--) {
      this.acc = (this.acc << 1) | ((value >> b) & 1);
      if (++this.n === 8) this.flushByte();
    }
  }

  /** Pads the last byte with 1-bits, as T.81 F.1.2.3 asks. */
  finish(): number[] {
    while (this.n !== 0) this.write(1, 1);
    return this.bytes;
  }

  private flushByte(): void {
    this.bytes.push(this.acc);
    if (this.acc === 0xff) this.bytes.push(0); // byte stuffing
    this.acc = 0;
    this.n = 0;
  }
}

/** Lossless JPEG 2000 codestream from OpenJPEG's own encoder. */
export async function encodeJpeg2000(
  samples: Uint8Array | Uint16Array,
  width: number,
  height: number,
  bitsPerSample: number,
): Promise<Uint8Array> {
  const encoder = new (await openJpeg({ print: () => {}, printErr: () => {} })).J2KEncoder();
  try {
    const input = encoder.getDecodedBuffer({
      width,
      height,
      bitsPerSample,
      componentCount: 1,
      isSigned: false,
      isUsingColorTransform: false,
    });
    input.set(new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength));
    encoder.setQuality(true, 0);
    // Small test images cannot take OpenJPEG's default of 5 wavelet levels.
    encoder.setDecompositions(2);
    encoder.encode();
    return Uint8Array.from(encoder.getEncodedBuffer());
  } finally {
    encoder.delete();
  }
}
