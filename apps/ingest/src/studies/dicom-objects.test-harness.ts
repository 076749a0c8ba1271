import { createHash } from 'node:crypto';
import { writeDicom, xray, type Item, type WriteOptions } from '@pneumoscreen/imaging/testing';

/** A StudyInstanceUID's digest as imaging reports it (studyInstanceUidHash): what uidStudyId keys. */
export const uidDigest = (uid: string) => createHash('sha256').update(uid).digest('hex').slice(0, 32);

/** A small chest CR with the test writer's patient attributes; `uid` undefined: none at all. */
export function chestDicom(uid: string | undefined, extra: Item = [], opts: WriteOptions = {}): Buffer {
  const pixels = new Uint16Array(4);
  return writeDicom(
    xray({ rows: 2, columns: 2, pixels, extra: uid ? [[0x0020000d, 'UI', uid], ...extra] : extra, omit: uid ? [] : [0x0020000d] }),
    opts,
  );
}
