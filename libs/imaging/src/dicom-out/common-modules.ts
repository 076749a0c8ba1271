import type { DicomSource } from './source';
import { type DataSet, type DicomValue, type Tag, newUid } from './writer';

/** Who made an object: the model version, as IHE AI Results names the algorithm. */
export interface Producer {
  /** Model name, e.g. pneumoscreen-pneumonia. */
  model: string;
  version: string;
}

export interface Coded {
  value: string;
  scheme: string;
  meaning: string;
}

/** Codes of our own where DICOM and SNOMED CT have none, in a private coding scheme (PS3.16 8.2:
 * designators beginning "99" are private). */
export const PRIVATE_SCHEME = '99PNEUMOSCREEN';

export const str = (
  vr: 'AE' | 'CS' | 'DA' | 'DS' | 'IS' | 'LO' | 'LT' | 'SH' | 'ST' | 'TM' | 'UI' | 'UT',
  value: string | string[],
): DicomValue => ({ vr, value });

export function codeItem(c: Coded): DataSet {
  return new Map<Tag, DicomValue>([
    [0x00080100, str('SH', c.value)],
    [0x00080102, str('SH', c.scheme)],
    [0x00080104, str('LO', c.meaning)],
  ]);
}

export function codeSequence(c: Coded): DicomValue {
  return { vr: 'SQ', items: [codeItem(c)] };
}

/** DICOM DA and TM of `at`, in UTC. */
export function dateTime(at: Date): { date: string; time: string } {
  const iso = at.toISOString();
  return { date: iso.slice(0, 10).replace(/-/g, ''), time: iso.slice(11, 19).replace(/:/g, '') };
}

/**
 * The modules every object made shares: SOP Common, Patient and General Study as the source
 * carried them, a new series of its own in the source's study, and the equipment (pneumoscreen
 * running the model version).
 */
export function commonModules(o: {
  sopClassUid: string;
  modality: string;
  seriesNumber: number;
  seriesDescription: string;
  source: DicomSource;
  producer: Producer;
  at: Date;
}): { ds: DataSet; sopInstanceUid: string; seriesInstanceUid: string } {
  const { date, time } = dateTime(o.at);
  const sopInstanceUid = newUid();
  const seriesInstanceUid = newUid();
  const ds: DataSet = new Map(o.source.carried);
  const set = (tag: Tag, v: DicomValue) => ds.set(tag, v);
  set(0x00080012, str('DA', date)); // Instance Creation Date
  set(0x00080013, str('TM', time));
  set(0x00080016, str('UI', o.sopClassUid));
  set(0x00080018, str('UI', sopInstanceUid));
  set(0x00080023, str('DA', date)); // Content Date
  set(0x00080033, str('TM', time));
  set(0x00080060, str('CS', o.modality));
  set(0x00080070, str('LO', 'pneumoscreen')); // Manufacturer
  set(0x0008103e, str('LO', o.seriesDescription));
  set(0x00081090, str('LO', o.producer.model)); // Manufacturer's Model Name
  set(0x00181020, str('LO', o.producer.version)); // Software Versions
  set(0x0020000e, str('UI', seriesInstanceUid));
  set(0x00200011, str('IS', String(o.seriesNumber)));
  set(0x00200013, str('IS', '1')); // Instance Number
  return { ds, sopInstanceUid, seriesInstanceUid };
}

/** A (0008,1199) item naming one instance. */
export function sopReference(sopClassUid: string, sopInstanceUid: string): DataSet {
  return new Map<Tag, DicomValue>([
    [0x00081150, str('UI', sopClassUid)],
    [0x00081155, str('UI', sopInstanceUid)],
  ]);
}

export interface InstanceRef {
  studyInstanceUid: string;
  seriesInstanceUid: string;
  sopClassUid: string;
  sopInstanceUid: string;
}

/** Hierarchical SOP Instance Reference macro items (PS3.3 C.17.2.1), one per study; each instance
 * once, however many of the files reported hold it. */
export function evidence(refs: InstanceRef[]): DicomValue {
  const studies = new Map<string, Map<string, InstanceRef[]>>();
  const unique = new Map(refs.map((r) => [r.sopInstanceUid, r]));
  for (const r of unique.values()) {
    const series = studies.get(r.studyInstanceUid) ?? new Map<string, InstanceRef[]>();
    series.set(r.seriesInstanceUid, [...(series.get(r.seriesInstanceUid) ?? []), r]);
    studies.set(r.studyInstanceUid, series);
  }
  return {
    vr: 'SQ',
    items: [...studies].map(
      ([study, series]) =>
        new Map<Tag, DicomValue>([
          [0x0020000d, str('UI', study)],
          [
            0x00081115,
            {
              vr: 'SQ',
              items: [...series].map(
                ([uid, instances]) =>
                  new Map<Tag, DicomValue>([
                    [0x0020000e, str('UI', uid)],
                    [0x00081199, { vr: 'SQ', items: instances.map((i) => sopReference(i.sopClassUid, i.sopInstanceUid)) }],
                  ]),
              ),
            },
          ],
        ]),
    ),
  };
}
