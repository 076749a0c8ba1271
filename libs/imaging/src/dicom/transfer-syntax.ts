import { ImageDecodeError } from '../errors';

export type Codec = 'native' | 'jpeg-baseline' | 'jpeg-lossless' | 'jpeg2000' | 'jpeg-ls' | 'rle';

export const IMPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2';
export const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
/** Retired in 2004, still found in old archives: every value, pixels included, most significant byte first. */
export const EXPLICIT_VR_BIG_ENDIAN = '1.2.840.10008.1.2.2';

const SUPPORTED: Record<string, Codec> = {
  [IMPLICIT_VR_LITTLE_ENDIAN]: 'native',
  [EXPLICIT_VR_LITTLE_ENDIAN]: 'native',
  // The parser inflates the data set (see parse.ts); its pixels are then native.
  '1.2.840.10008.1.2.1.99': 'native',
  [EXPLICIT_VR_BIG_ENDIAN]: 'native',
  '1.2.840.10008.1.2.4.50': 'jpeg-baseline',
  // Process 2 & 4 is a superset of baseline; its 12-bit flavour is refused once the frame header says so.
  '1.2.840.10008.1.2.4.51': 'jpeg-baseline',
  '1.2.840.10008.1.2.4.57': 'jpeg-lossless',
  '1.2.840.10008.1.2.4.70': 'jpeg-lossless',
  '1.2.840.10008.1.2.4.90': 'jpeg2000',
  '1.2.840.10008.1.2.4.91': 'jpeg2000',
  '1.2.840.10008.1.2.4.80': 'jpeg-ls',
  '1.2.840.10008.1.2.4.81': 'jpeg-ls',
  '1.2.840.10008.1.2.5': 'rle',
};

/** Names for the refusal message, so an operator knows what to ask the sender to re-export as. */
const UNSUPPORTED_NAMES: Record<string, string> = {
  '1.2.840.10008.1.2.4.201': 'High-Throughput JPEG 2000 Lossless',
  '1.2.840.10008.1.2.4.202': 'High-Throughput JPEG 2000 RPCL Lossless',
  '1.2.840.10008.1.2.4.203': 'High-Throughput JPEG 2000',
};

export function codecFor(transferSyntaxUid: string): Codec {
  const codec = SUPPORTED[transferSyntaxUid];
  if (codec) return codec;
  const uid = /^[0-9.]{1,64}$/.test(transferSyntaxUid) ? transferSyntaxUid : '(malformed UID)';
  const name = UNSUPPORTED_NAMES[transferSyntaxUid];
  throw new ImageDecodeError(
    'unsupported-format',
    `unsupported DICOM transfer syntax ${uid}${name ? ` (${name})` : ''}; expected uncompressed (little or big endian, or deflated), JPEG baseline, JPEG lossless, JPEG-LS, JPEG 2000 or RLE`,
  );
}
