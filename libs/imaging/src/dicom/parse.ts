import { constants, inflateRawSync } from 'node:zlib';
import { parseDicom, type DataSet } from 'dicom-parser';
import { ImageDecodeError } from '../errors';
import { describeParseFailure } from './parser-errors';
import { EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN } from './transfer-syntax';

export interface ParsedDicom {
  dataSet: DataSet;
  transferSyntaxUid: string;
}

const PREAMBLE_BYTES = 128;
const MAGIC = 'DICM';
const META_GROUP = 0x0002;
const IDENTIFYING_GROUP = 0x0008;
const VRS = new Set('AE AS AT CS DA DS DT FD FL IS LO LT OB OD OF OL OV OW PN SH SL SQ SS ST SV TM UC UI UL UN UR US UT UV'.split(' '));

/** Part 10 files carry "DICM" after a 128-byte preamble; exports from old ACR-NEMA style systems
 * are a bare data set, which in practice opens with a group 0002 or 0008 element. JPEG and PNG
 * signatures can never start that way. */
export function looksLikeDicom(bytes: Uint8Array): boolean {
  if (hasPreamble(bytes)) return true;
  if (bytes.length < 8) return false;
  const group = firstGroup(bytes);
  return group === META_GROUP || group === IDENTIFYING_GROUP;
}

/** Largest data set a Deflated Explicit VR Little Endian file may inflate to, unless told. */
const DEFAULT_MAX_INFLATED_BYTES = 256 << 20;

export interface ParseOptions {
  /** Stop before Pixel Data, for callers that only want attributes. */
  headerOnly?: boolean;
  /** Refuse a deflated data set that inflates to more than this. */
  maxInflatedBytes?: number;
}

/** Parses a DICOM file into dicom-parser's data set, with or without preamble and file meta group. */
export function parseDicomBytes(bytes: Uint8Array, opts: ParseOptions = {}): ParsedDicom {
  const untilTag = opts.headerOnly ? 'x7fe00010' : undefined;
  try {
    if (hasPreamble(bytes) || firstGroup(bytes) === META_GROUP) {
      const part10 = hasPreamble(bytes) ? bytes : withPreamble(bytes);
      const inflater = boundedInflater(opts.maxInflatedBytes ?? DEFAULT_MAX_INFLATED_BYTES);
      const dataSet = parseDicom(part10, untilTag ? { untilTag, inflater } : { inflater });
      const transferSyntaxUid = dataSet.string('x00020010')?.trim();
      if (!transferSyntaxUid) throw new ImageDecodeError('corrupt', 'corrupt DICOM data: the file meta group names no transfer syntax');
      return { dataSet, transferSyntaxUid };
    }
    // A bare data set names no transfer syntax; its first element shows whether VRs are spelt out.
    const transferSyntaxUid = VRS.has(String.fromCharCode(bytes[4]!, bytes[5]!)) ? EXPLICIT_VR_LITTLE_ENDIAN : IMPLICIT_VR_LITTLE_ENDIAN;
    return { dataSet: parseDicom(bytes, { TransferSyntaxUID: transferSyntaxUid, ...(untilTag ? { untilTag } : {}) }), transferSyntaxUid };
  } catch (err) {
    if (err instanceof ImageDecodeError) throw err;
    throw new ImageDecodeError('corrupt', `corrupt DICOM data: ${describeParseFailure(err)}`, { cause: err });
  }
}

/**
 * dicom-parser inflates a deflated data set with no bound of its own: a few kilobytes can claim
 * gigabytes. A stream cut short inflates as far as it goes (the parser then finds the data
 * truncated), so a header read from the start of a file still works.
 */
function boundedInflater(maxBytes: number): (byteArray: Uint8Array, position: number) => Uint8Array {
  return (byteArray, position) => {
    let inflated: Buffer;
    try {
      inflated = inflateRawSync(byteArray.subarray(position), { maxOutputLength: maxBytes, finishFlush: constants.Z_SYNC_FLUSH });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
        throw new ImageDecodeError('too-many-pixels', `deflated DICOM data set inflates to more than ${maxBytes} bytes`, { cause: err });
      }
      throw new ImageDecodeError('corrupt', 'corrupt DICOM data: its deflated data set does not inflate', { cause: err });
    }
    const out = new Uint8Array(position + inflated.length);
    out.set(byteArray.subarray(0, position));
    out.set(inflated, position);
    return out;
  };
}

function hasPreamble(bytes: Uint8Array): boolean {
  return (
    bytes.length >= PREAMBLE_BYTES + MAGIC.length &&
    Buffer.from(bytes.buffer, bytes.byteOffset + PREAMBLE_BYTES, MAGIC.length).toString('latin1') === MAGIC
  );
}

function firstGroup(bytes: Uint8Array): number {
  return bytes[0]! | (bytes[1]! << 8);
}

/** A file meta group without its preamble: give it one so the parser reads the group as Part 10. */
function withPreamble(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(PREAMBLE_BYTES + MAGIC.length + bytes.length);
  out.set(Buffer.from(MAGIC, 'latin1'), PREAMBLE_BYTES);
  out.set(bytes, PREAMBLE_BYTES + MAGIC.length);
  return out;
}
