import type { DataSet as ParsedDataSet } from 'dicom-parser';
import { parseDicomBytes } from '../dicom/parse';
import type { DataSet, StringVr, Tag } from './writer';

/** The patient and study attributes an object made from a source image carries over, with their
 * VRs (a source in Implicit VR names none). Absent ones are written empty: they are Type 2. */
const CARRIED: ReadonlyArray<readonly [Tag, StringVr]> = [
  [0x00080005, 'CS'], // Specific Character Set: how the copied names and ids are to be read
  [0x00080020, 'DA'], // Study Date
  [0x00080030, 'TM'], // Study Time
  [0x00080050, 'SH'], // Accession Number
  [0x00080090, 'PN'], // Referring Physician's Name
  [0x00081030, 'LO'], // Study Description
  [0x00100010, 'PN'], // Patient's Name
  [0x00100020, 'LO'], // Patient ID
  [0x00100021, 'LO'], // Issuer of Patient ID
  [0x00100030, 'DA'], // Patient's Birth Date
  [0x00100040, 'CS'], // Patient's Sex
  [0x0020000d, 'UI'], // Study Instance UID
  [0x00200010, 'SH'], // Study ID
];
/** Type 1 or 3 in the objects made: left out when the source has none. */
const OPTIONAL = new Set<Tag>([0x00080005, 0x00081030, 0x00100021]);

/** What an SR or Secondary Capture needs of its source image. */
export interface DicomSource {
  studyInstanceUid: string;
  seriesInstanceUid: string;
  sopClassUid: string;
  sopInstanceUid: string;
  /** The source's patient and study attributes, byte for byte. Patient data: never log it. */
  carried: DataSet;
}

/**
 * Reads a DICOM file's header (it stops before Pixel Data) for the objects made from it; null
 * when the file lacks a UID they must reference.
 */
export function readDicomSource(bytes: Uint8Array): DicomSource | null {
  const { dataSet } = parseDicomBytes(bytes, { headerOnly: true });
  const uid = (tag: string) => dataSet.string(tag)?.replace(/\0/g, '').trim() || undefined;
  const studyInstanceUid = uid('x0020000d');
  const seriesInstanceUid = uid('x0020000e');
  const sopClassUid = uid('x00080016');
  const sopInstanceUid = uid('x00080018');
  if (!studyInstanceUid || !seriesInstanceUid || !sopClassUid || !sopInstanceUid) return null;
  const carried: DataSet = new Map();
  for (const [tag, vr] of CARRIED) {
    const raw = rawValue(dataSet, tag);
    if (raw || !OPTIONAL.has(tag)) carried.set(tag, { vr, raw: raw ?? new Uint8Array(0) });
  }
  return { studyInstanceUid, seriesInstanceUid, sopClassUid, sopInstanceUid, carried };
}

function rawValue(ds: ParsedDataSet, tag: Tag): Uint8Array | undefined {
  const el = ds.elements[`x${tag.toString(16).padStart(8, '0')}`];
  if (!el || !el.length || el.dataOffset === undefined) return undefined;
  return ds.byteArray.slice(el.dataOffset, el.dataOffset + el.length);
}
