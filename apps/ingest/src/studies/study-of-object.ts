import { normaliseEtag } from '@pneumoscreen/contracts';
import { looksLikeDicom, readDicomStudyInfo } from '@pneumoscreen/imaging';
import type { RangedObjectStore } from '@pneumoscreen/storage';

/** Holds the header of nearly every radiograph; a longer header costs further, larger reads. */
const FIRST_READ_BYTES = 64 * 1024;
const GROWTH = 16;

export interface InspectedObject {
  /** The SHA-256 digest of the file's StudyInstanceUID (never the UID itself); absent when the
   * object does not name one. Ingest keys it with the tenant into the study id. */
  uidDigest?: string;
  /** Of the bytes that were read, so the recorded identity is the version that was grouped. */
  etag: string;
  versionId?: string;
  size: number;
}

/** What an S3 event or a listing says of an object besides its name. */
export interface ObjectHint {
  key: string;
  etag?: string;
  size?: number;
  versionId?: string;
}

/** Scanners and PACS name DICOM exports `.dcm` or give them no extension, never one of these. */
const IMAGE_NAME = /\.(jpe?g|png)$/i;

/**
 * The identity of a JPEG or PNG by name, from its event or listing alone: such an object joins its
 * folder's study, so grouping needs none of its bytes, and skipping the read saves one of the
 * three S3 requests an image costs. Undefined when only a read can tell (another name, or no ETag
 * or size given). A DICOM file named `.jpeg` would join its folder's study; the worker still reads
 * it as DICOM.
 */
export function namedImage(o: ObjectHint): InspectedObject | undefined {
  if (!IMAGE_NAME.test(o.key) || !o.etag || o.size === undefined) return undefined;
  return { etag: normaliseEtag(o.etag), size: o.size, ...(o.versionId ? { versionId: o.versionId } : {}) };
}

/**
 * Reads an object header-first to learn whether it is a DICOM file naming a StudyInstanceUID.
 * The answer depends on the object's bytes alone, so every replica, duplicate event and listing
 * reaches the same one. Headers are not read past `maxBytes`: the worker refuses larger objects
 * whichever study they join.
 */
export async function inspectObject(store: RangedObjectStore, bucket: string, key: string, maxBytes: number): Promise<InspectedObject> {
  for (let limit = Math.min(FIRST_READ_BYTES, maxBytes); ; limit = Math.min(limit * GROWTH, maxBytes)) {
    const head = await store.getObjectHead(bucket, key, limit);
    const whole = head.body.length >= head.size || limit >= maxBytes;
    const uid = uidDigest(head.body, whole);
    if (uid !== READ_MORE) {
      const found: InspectedObject = { etag: head.etag, size: head.size };
      if (uid) found.uidDigest = uid;
      if (head.versionId) found.versionId = head.versionId;
      return found;
    }
  }
}

const READ_MORE = Symbol('read more');

/**
 * The UID's digest, undefined when the object has none, or READ_MORE when a cut-short read cannot
 * tell: the parser completes every element it returns (it refuses one that runs past the end), so
 * a UID found in a prefix is the file's own, but a prefix without one may simply end too early.
 */
function uidDigest(bytes: Buffer, whole: boolean): string | undefined | typeof READ_MORE {
  if (!looksLikeDicom(bytes)) return undefined;
  try {
    const hash = readDicomStudyInfo(bytes).studyInstanceUidHash;
    if (hash || whole) return hash;
  } catch {
    // Unreadable as a whole: the folder's study takes it, and the worker reports why per image.
    if (whole) return undefined;
  }
  return READ_MORE;
}
