import { createHash } from 'node:crypto';
import { ImageDecodeError } from '../errors';
import { codeString, printable } from './attributes';
import { looksLikeDicom, parseDicomBytes } from './parse';

/** What a grouping step may know about a DICOM file. Deliberately no patient attribute: these
 * values end up in results, logs and webhooks. */
export interface DicomStudyInfo {
  /** First 32 hex digits of the SHA-256 of the StudyInstanceUID: files of one study share it, and
   * it fits a study id, without carrying a UID that links back to the patient's visit. */
  studyInstanceUidHash?: string;
  modality?: string;
  bodyPartExamined?: string;
  viewPosition?: string;
  transferSyntaxUid: string;
}

/** Reads the header only (stops before Pixel Data), so it is cheap even on large files. */
export function readDicomStudyInfo(bytes: Uint8Array): DicomStudyInfo {
  if (!looksLikeDicom(bytes)) throw new ImageDecodeError('unsupported-format', 'not a DICOM file');
  const { dataSet, transferSyntaxUid } = parseDicomBytes(bytes, { headerOnly: true });
  const uid = dataSet.string('x0020000d')?.trim();
  const info: DicomStudyInfo = { transferSyntaxUid: /^[0-9.]{1,64}$/.test(transferSyntaxUid) ? transferSyntaxUid : 'malformed' };
  if (uid) info.studyInstanceUidHash = createHash('sha256').update(uid).digest('hex').slice(0, 32);
  const modality = printable(codeString(dataSet, 'x00080060'));
  const bodyPartExamined = printable(codeString(dataSet, 'x00180015'));
  const viewPosition = printable(codeString(dataSet, 'x00185101'));
  if (modality) info.modality = modality;
  if (bodyPartExamined) info.bodyPartExamined = bodyPartExamined;
  if (viewPosition) info.viewPosition = viewPosition;
  return info;
}
