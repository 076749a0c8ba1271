import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_INTENDED_USE, PAEDIATRIC_CHEST, type IntendedUse } from '@pneumoscreen/contracts';
import { dicomScopeVerdict } from '../index';
import { writeDicom, type Item } from './test-support/dicom-writer';

const base: Item = [
  [0x00080060, 'CS', 'CR'],
  [0x00180015, 'CS', 'CHEST'],
  [0x00185101, 'CS', 'PA'],
];
const header = (extra: Item, use: IntendedUse = PAEDIATRIC_CHEST) => {
  const tags = new Set(extra.map(([t]) => t));
  return dicomScopeVerdict(writeDicom([...base.filter(([t]) => !tags.has(t)), ...extra]), use)?.reason ?? null;
};

test('a frontal chest radiograph of a child passes, and absent attributes never refuse', () => {
  assert.equal(header([[0x00101010, 'AS', '004Y']]), null);
  assert.equal(header([[0x00185101, 'CS', 'AP']]), null);
  assert.equal(dicomScopeVerdict(writeDicom([]), PAEDIATRIC_CHEST), null);
  assert.equal(dicomScopeVerdict(Buffer.from('\xff\xd8\xff not a DICOM file', 'latin1'), PAEDIATRIC_CHEST), null);
});

test('PatientAge in years, months, weeks or days, or bare years, against the population', () => {
  assert.equal(header([[0x00101010, 'AS', '017Y']]), null, 'a 17-year-old is a child');
  assert.equal(header([[0x00101010, 'AS', '018Y']]), 'adult');
  assert.equal(header([[0x00101010, 'AS', '081Y']]), 'adult');
  assert.equal(header([[0x00101010, 'AS', '81']]), 'adult', 'NIH exports write bare years');
  assert.equal(header([[0x00101010, 'AS', '030M']]), null);
  assert.equal(header([[0x00101010, 'AS', '300M']]), 'adult');
  assert.equal(header([[0x00101010, 'AS', '006W']]), null);
  assert.equal(header([[0x00101010, 'AS', '200D']]), null);
  assert.equal(header([[0x00101010, 'AS', '081Y']], DEFAULT_INTENDED_USE), null, 'a version without a population takes every age');
  assert.equal(header([[0x00101010, 'AS', 'unknown']]), null, 'an unreadable age does not refuse');
});

test('without PatientAge, the age comes from PatientBirthDate and the study date', () => {
  assert.equal(
    header([
      [0x00100030, 'DA', '19400305'],
      [0x00080020, 'DA', '20040826'],
    ]),
    'adult',
  );
  assert.equal(
    header([
      [0x00100030, 'DA', '20200305'],
      [0x00080020, 'DA', '20240826'],
    ]),
    null,
  );
  assert.equal(
    header([
      [0x00100030, 'DA', '20000101'],
      [0x00080021, 'DA', '20180102'],
    ]),
    'adult',
    'series date when there is no study date',
  );
  assert.equal(header([[0x00100030, 'DA', '19400305']]), null, 'no date to measure against');
  assert.equal(
    header([
      [0x00101010, 'AS', '005Y'],
      [0x00100030, 'DA', '19400305'],
      [0x00080020, 'DA', '20040826'],
    ]),
    null,
    'PatientAge wins',
  );
});

test('lateral views by ViewPosition, PatientOrientation or the view code sequence', () => {
  assert.equal(header([[0x00185101, 'CS', 'LL']]), 'lateral');
  assert.equal(header([[0x00185101, 'CS', 'RL']]), 'lateral');
  assert.equal(header([[0x00185101, 'CS', 'LATERAL']]), 'lateral');
  assert.equal(header([[0x00185101, 'CS', 'LLD']]), null, 'decubitus films are frontal');
  assert.equal(
    header([
      [0x00185101, 'CS', ''],
      [0x00200020, 'CS', 'P\\F'],
    ]),
    'lateral',
  );
  assert.equal(header([[0x00200020, 'CS', 'L\\F']]), null);
  const view = (code: string, meaning: string): Item => [
    [
      0x00540220,
      'SQ',
      [
        [
          [0x00080100, 'SH', code],
          [0x00080102, 'SH', 'SRT'],
          [0x00080104, 'LO', meaning],
        ],
      ],
    ],
  ];
  assert.equal(header([[0x00185101, 'CS', ''], ...view('R-10236', 'left lateral')]), 'lateral');
  assert.equal(header([[0x00185101, 'CS', ''], ...view('R-10206', 'postero-anterior')]), null);
  assert.equal(header([[0x00185101, 'CS', ''], ...view('X-1', 'Lateral')]), 'lateral');
  assert.equal(
    header([[0x00185101, 'CS', 'AP']], { ...PAEDIATRIC_CHEST, projections: ['PA'] }),
    'lateral',
    'a projection the version was not made for',
  );
});

test('modality, body part and image laterality', () => {
  assert.equal(header([[0x00080060, 'CS', 'CT']]), 'not-radiograph');
  assert.equal(header([[0x00080060, 'CS', 'OT']]), 'not-radiograph');
  assert.equal(header([[0x00080060, 'CS', 'DX']]), null);
  assert.equal(header([[0x00180015, 'CS', 'ABDOMEN']]), 'not-chest');
  assert.equal(header([[0x00180015, 'CS', 'thorax']]), null, 'code strings compare upper-cased');
  assert.equal(header([[0x00200062, 'CS', 'L']]), 'not-chest', 'one side of a paired part: ribs, shoulder, breast');
  assert.equal(header([[0x00200062, 'CS', 'U']]), null);
});
