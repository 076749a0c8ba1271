import {
  type Coded,
  commonModules,
  codeSequence,
  evidence,
  type InstanceRef,
  PRIVATE_SCHEME,
  type Producer,
  sopReference,
  str,
} from './common-modules';
import type { DicomSource } from './source';
import { type DataSet, type DicomValue, IMPLEMENTATION_CLASS_UID, newUid, part10, type Tag } from './writer';

export const COMPREHENSIVE_SR_SOP_CLASS = '1.2.840.10008.5.1.4.1.1.88.33';
export const SR_SERIES_NUMBER = 9900;

/** One image's outcome, as the study's result JSON has it. */
export interface ReportedImage {
  source: DicomSource;
  /** pneumoscreen's name for the image (its artefacts' name), to tell the groups apart. */
  trackingId: string;
  decision: 'NORMAL' | 'PNEUMONIA' | 'NOT_ASSESSED';
  probability?: number;
  threshold?: number;
  /** Why NOT_ASSESSED, or the flag of an assessed image unlike the training films. */
  outOfScope?: string;
  scopeFlag?: string;
  /** The Secondary Capture of its heatmap. */
  heatmap?: InstanceRef;
}

const dcm = (value: string, meaning: string): Coded => ({ value, scheme: 'DCM', meaning });
const own = (value: string, meaning: string): Coded => ({ value, scheme: PRIVATE_SCHEME, meaning });
const NO_UNITS: Coded = { value: '1', scheme: 'UCUM', meaning: 'no units' };
const FINDINGS: Record<ReportedImage['decision'], Coded> = {
  PNEUMONIA: { value: '233604007', scheme: 'SCT', meaning: 'Pneumonia' },
  NORMAL: { value: '17621005', scheme: 'SCT', meaning: 'Normal' },
  NOT_ASSESSED: own('NOT-ASSESSED', 'Not assessed: outside the intended use'),
};

type Relationship = 'CONTAINS' | 'HAS OBS CONTEXT' | 'HAS CONCEPT MOD' | 'INFERRED FROM';

/** A content item; `name` may be null only for IMAGE items (PS3.3 C.17.3: Type 1C). */
function item(
  relationship: Relationship | null,
  valueType: string,
  name: Coded | null,
  values: Array<[Tag, DicomValue]>,
  children: DataSet[] = [],
): DataSet {
  const ds = new Map<Tag, DicomValue>([[0x0040a040, str('CS', valueType)], ...values]);
  if (name) ds.set(0x0040a043, codeSequence(name));
  if (relationship) ds.set(0x0040a010, str('CS', relationship));
  if (valueType === 'CONTAINER') ds.set(0x0040a050, str('CS', 'SEPARATE'));
  if (children.length) ds.set(0x0040a730, { vr: 'SQ', items: children });
  return ds;
}
const text = (rel: Relationship, name: Coded, value: string) => item(rel, 'TEXT', name, [[0x0040a160, str('UT', value)]]);
const code = (rel: Relationship, name: Coded, value: Coded, children: DataSet[] = []) =>
  item(rel, 'CODE', name, [[0x0040a168, codeSequence(value)]], children);
const image = (rel: Relationship, name: Coded | null, ref: { sopClassUid: string; sopInstanceUid: string }) =>
  item(rel, 'IMAGE', name, [[0x00081199, { vr: 'SQ', items: [sopReference(ref.sopClassUid, ref.sopInstanceUid)] }]]);
const num = (name: Coded, value: number, children: DataSet[] = []) =>
  item(
    'CONTAINS',
    'NUM',
    name,
    [
      [
        0x0040a300,
        {
          vr: 'SQ',
          items: [
            new Map<Tag, DicomValue>([
              [0x004008ea, codeSequence(NO_UNITS)],
              [0x0040a30a, str('DS', decimal(value))],
            ]),
          ],
        },
      ],
    ],
    children,
  );

/**
 * A Comprehensive SR following TID 1500 (Imaging Measurement Report) with the essentials of IHE
 * AI Results: the device observer and algorithm (model name and version), and per image a
 * measurement group with its finding (the decision), probability, threshold, intended-use verdict
 * and heatmap. All images must be of one study (the first one's patient and study are carried).
 */
export function structuredReport(images: ReportedImage[], producer: Producer, at: Date): { file: Buffer; sopInstanceUid: string } {
  const first = images[0];
  if (!first) throw new Error('an SR reports at least one image');
  if (images.some((i) => i.source.studyInstanceUid !== first.source.studyInstanceUid))
    throw new Error('the images reported are of more than one study');
  const { ds, sopInstanceUid } = commonModules({
    sopClassUid: COMPREHENSIVE_SR_SOP_CLASS,
    modality: 'SR',
    seriesNumber: SR_SERIES_NUMBER,
    seriesDescription: 'pneumoscreen results',
    source: first.source,
    producer,
    at,
  });
  const algorithm = [
    text('HAS CONCEPT MOD', dcm('111001', 'Algorithm Name'), producer.model),
    text('HAS CONCEPT MOD', dcm('111003', 'Algorithm Version'), producer.version),
  ];
  const groups = images.map((img) => {
    const sourceRef = image('INFERRED FROM', dcm('121112', 'Source of Measurement'), img.source);
    const verdict = img.outOfScope
      ? own(img.outOfScope.toUpperCase(), `Outside the intended use: ${img.outOfScope}`)
      : img.scopeFlag
        ? own(img.scopeFlag.toUpperCase(), `Within the intended use, flagged: ${img.scopeFlag}`)
        : own('IN-SCOPE', 'Within the intended use');
    return item(
      'CONTAINS',
      'CONTAINER',
      dcm('125007', 'Measurement Group'),
      [],
      [
        text('HAS OBS CONTEXT', dcm('112039', 'Tracking Identifier'), img.trackingId),
        item('HAS OBS CONTEXT', 'UIDREF', dcm('112040', 'Tracking Unique Identifier'), [[0x0040a124, str('UI', newUid())]]),
        ...algorithm,
        code('CONTAINS', dcm('121071', 'Finding'), FINDINGS[img.decision], [sourceRef]),
        ...(img.probability === undefined ? [] : [num(own('PROBABILITY', 'Probability of pneumonia'), img.probability, [sourceRef])]),
        ...(img.threshold === undefined ? [] : [num(own('THRESHOLD', 'Decision threshold for pneumonia'), img.threshold)]),
        code('CONTAINS', own('INTENDED-USE', 'Intended-use verdict'), verdict),
        ...(img.heatmap ? [image('CONTAINS', own('HEATMAP', 'Class-activation map for pneumonia'), img.heatmap)] : []),
      ],
    );
  });
  const root = item(
    null,
    'CONTAINER',
    dcm('126000', 'Imaging Measurement Report'),
    [
      [
        0x0040a504,
        {
          vr: 'SQ',
          items: [
            new Map<Tag, DicomValue>([
              [0x00080105, str('CS', 'DCMR')],
              [0x0040db00, str('CS', '1500')],
            ]),
          ],
        },
      ],
    ],
    [
      code('HAS CONCEPT MOD', dcm('121049', 'Language of Content Item and Descendants'), {
        value: 'en-US',
        scheme: 'RFC5646',
        meaning: 'English (United States)',
      }),
      code('HAS OBS CONTEXT', dcm('121005', 'Observer Type'), dcm('121007', 'Device')),
      item('HAS OBS CONTEXT', 'UIDREF', dcm('121012', 'Device Observer UID'), [[0x0040a124, str('UI', IMPLEMENTATION_CLASS_UID)]]),
      text('HAS OBS CONTEXT', dcm('121013', 'Device Observer Name'), 'pneumoscreen'),
      text('HAS OBS CONTEXT', dcm('121014', 'Device Observer Manufacturer'), 'pneumoscreen'),
      text('HAS OBS CONTEXT', dcm('121015', 'Device Observer Model Name'), `${producer.model} ${producer.version}`),
      code('CONTAINS', dcm('121058', 'Procedure reported'), { value: '399208008', scheme: 'SCT', meaning: 'Plain chest X-ray' }),
      item(
        'CONTAINS',
        'CONTAINER',
        dcm('111028', 'Image Library'),
        [],
        [
          item(
            'CONTAINS',
            'CONTAINER',
            dcm('126200', 'Image Library Group'),
            [],
            images.map((i) => image('CONTAINS', null, i.source)),
          ),
        ],
      ),
      item('CONTAINS', 'CONTAINER', dcm('126010', 'Imaging Measurements'), [], groups),
    ],
  );
  for (const [tag, value] of root) ds.set(tag, value);
  ds.set(0x0040a491, str('CS', 'COMPLETE'));
  ds.set(0x0040a493, str('CS', 'UNVERIFIED'));
  ds.set(0x0040a372, { vr: 'SQ', items: [] }); // Performed Procedure Code Sequence (Type 2)
  ds.set(0x00081111, { vr: 'SQ', items: [] }); // Referenced Performed Procedure Step Sequence (Type 2)
  ds.set(0x0040a375, evidence(images.map((i) => i.source)));
  const heatmaps = images.flatMap((i) => (i.heatmap ? [i.heatmap] : []));
  if (heatmaps.length) ds.set(0x0040a385, evidence(heatmaps));
  return { file: part10(ds), sopInstanceUid };
}

/** A DS value (at most 16 characters). */
function decimal(v: number): string {
  return Number(v.toPrecision(8)).toString().slice(0, 16);
}
