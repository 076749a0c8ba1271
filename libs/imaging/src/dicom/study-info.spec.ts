import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDicom } from 'dicom-parser';
import { sharedDir } from '@pneumoscreen/testing';
import { ImageDecodeError, looksLikeDicom, readDicomStudyInfo } from '../index';
import { PATIENT, TS, writeDicom, xray } from './test-support/dicom-writer';

const UID = '1.2.826.0.1.3680043.2.1125.1';
const image = { rows: 2, columns: 2, pixels: new Uint16Array(4) };

test('study info: hashed Study Instance UID and acquisition codes, no patient attribute', () => {
  const info = readDicomStudyInfo(writeDicom(xray(image)));
  assert.deepEqual(info, {
    transferSyntaxUid: TS.explicit,
    studyInstanceUidHash: createHash('sha256').update(UID).digest('hex').slice(0, 32),
    modality: 'CR',
    bodyPartExamined: 'CHEST',
    viewPosition: 'PA',
  });
  const json = JSON.stringify(info);
  for (const secret of [...Object.values(PATIENT), UID]) assert.ok(!json.includes(secret), `study info carries ${secret}`);
});

test('study info reads the header only: a file cut short inside its pixel data still answers', () => {
  const dcm = writeDicom(xray({ rows: 64, columns: 64, pixels: new Uint16Array(64 * 64) }), { meta: false, transferSyntax: TS.implicit });
  const info = readDicomStudyInfo(dcm.subarray(0, dcm.length - 4000));
  assert.equal(info.transferSyntaxUid, TS.implicit);
  assert.equal(info.modality, 'CR');
});

test('study info leaves out what is absent or not shaped like a code string', () => {
  const dcm = writeDicom(xray({ ...image, omit: [0x0020000d, 0x00185101], extra: [[0x00180015, 'CS', PATIENT.name]] }));
  assert.deepEqual(readDicomStudyInfo(dcm), { transferSyntaxUid: TS.explicit, modality: 'CR' });
});

test('study info refuses what is not DICOM', () => {
  assert.equal(looksLikeDicom(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46])), false);
  assert.throws(
    () => readDicomStudyInfo(Buffer.from('{"not":"dicom"}')),
    (err: unknown) => err instanceof ImageDecodeError && err.reason === 'unsupported-format',
  );
});

test('study info of every shared DICOM file: a UID hash, and none of its patient attributes', () => {
  const dir = join(sharedDir(), 'data/dicom');
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.dcm'))) {
    const bytes = readFileSync(join(dir, name));
    assert.ok(looksLikeDicom(bytes), name);
    const info = readDicomStudyInfo(bytes);
    assert.match(info.studyInstanceUidHash ?? '', /^[0-9a-f]{32}$/, name);
    assert.match(info.modality ?? '', /^(CR|DX|OT)$/, name);
    const header = parseDicom(
      bytes,
      bytes.subarray(128, 132).toString('latin1') === 'DICM'
        ? { untilTag: 'x7fe00010' }
        : { TransferSyntaxUID: TS.implicit, untilTag: 'x7fe00010' },
    );
    // The hash and the transfer syntax are hex and digits by construction (checked above and in
    // the code); a short patient id such as "0" would match them by chance.
    const text = [info.modality, info.bodyPartExamined, info.viewPosition].join('|');
    for (const tag of ['x00100010', 'x00100020', 'x00100030']) {
      const value = header.string(tag)?.trim();
      if (value) assert.ok(!text.includes(value), `${name}: study info carries ${tag}`);
    }
  }
});
