import type { DataSet } from 'dicom-parser';
import type { IntendedUse, OutOfScope } from '@pneumoscreen/contracts';
import { codeString } from './attributes';
import { looksLikeDicom, parseDicomBytes } from './parse';

/** The header facts an intended-use check needs. Held in memory for one verdict and never
 * returned, logged or stored: only the verdict leaves this file. */
interface ScopeFacts {
  ageYears?: number;
  modality?: string;
  bodyPart?: string;
  viewPosition?: string;
  /** First value of PatientOrientation: the direction of the image rows. */
  rowDirection?: string;
  viewMeanings: string[];
  viewCodes: string[];
  laterality?: string;
}

/** SNOMED-RT / DICOM CID 4010 codes of lateral projections (right, left, lateral, and the
 * SNOMED CT equivalents), as ViewCodeSequence carries them. */
const LATERAL_VIEW_CODES = new Set(['R-10232', 'R-10236', 'R-102CD', '260449001', '260450001', '399198007', '399173006']);
const LATERAL_VIEW_POSITION = /^(LL|RL)$|LAT/;

/**
 * Checks a DICOM file's header against a version's intended use and returns the first reason it
 * falls outside, or null. Absent attributes never refuse (exports often drop them); the content
 * guard still looks at every image. Not a DICOM file: null, the content guard decides alone.
 */
export function dicomScopeVerdict(bytes: Uint8Array, use: IntendedUse): OutOfScope | null {
  if (!looksLikeDicom(bytes)) return null;
  let facts: ScopeFacts;
  try {
    facts = readScopeFacts(parseDicomBytes(bytes, { headerOnly: true }).dataSet);
  } catch {
    return null; // unreadable headers are the decoder's to report
  }
  return verdict(facts, use);
}

function verdict(f: ScopeFacts, use: IntendedUse): OutOfScope | null {
  const out = (reason: OutOfScope['reason']): OutOfScope => ({ reason, score: 1 });
  if (f.modality !== undefined && !use.modalities.includes(f.modality)) return out('not-radiograph');
  if (f.bodyPart !== undefined && !use.bodyParts.includes(f.bodyPart)) return out('not-chest');
  if (f.laterality === 'L' || f.laterality === 'R') return out('not-chest');
  const lateral =
    (f.viewPosition !== undefined && LATERAL_VIEW_POSITION.test(f.viewPosition)) ||
    (f.rowDirection !== undefined && /^[AP]+$/.test(f.rowDirection)) ||
    f.viewCodes.some((c) => LATERAL_VIEW_CODES.has(c)) ||
    f.viewMeanings.some((m) => /lateral/i.test(m) && !/decubitus/i.test(m));
  if (lateral) return out('lateral');
  if (f.viewPosition !== undefined && /^(AP|PA)$/.test(f.viewPosition) && !use.projections.includes(f.viewPosition as 'AP' | 'PA'))
    return out('lateral');
  const { minAgeYears, maxAgeYears } = use.population;
  // Ages count in whole years: a 17-year-old may be 17.9 years old.
  if (f.ageYears !== undefined && f.ageYears >= maxAgeYears + 1) return out('adult');
  if (f.ageYears !== undefined && f.ageYears < minAgeYears) return out('unlike-training-data');
  return null;
}

function readScopeFacts(ds: DataSet): ScopeFacts {
  const items = ds.elements.x00540220?.items ?? [];
  const orientation = ds.string('x00200020')?.split('\\')[0]?.trim().toUpperCase();
  return {
    ageYears:
      patientAge(ds.string('x00101010')) ??
      ageFromDates(
        ds.string('x00100030'),
        ds.string('x00080020') ?? ds.string('x00080021') ?? ds.string('x00080022') ?? ds.string('x00080023'),
      ),
    modality: codeString(ds, 'x00080060'),
    bodyPart: codeString(ds, 'x00180015'),
    viewPosition: codeString(ds, 'x00185101'),
    rowDirection: orientation || undefined,
    viewCodes: items.map((i) => i.dataSet?.string('x00080100')?.trim()).filter((c): c is string => !!c),
    viewMeanings: items.map((i) => i.dataSet?.string('x00080104')?.trim()).filter((m): m is string => !!m),
    laterality: codeString(ds, 'x00200062'),
  };
}

/** PatientAge (AS): `nnnD`, `nnnW`, `nnnM` or `nnnY`; some systems write bare years ("81"). */
export function patientAge(value: string | undefined): number | undefined {
  const m = /^\s*(\d{1,3})\s*([DWMY]?)\s*$/i.exec(value ?? '');
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = (m[2] || 'Y').toUpperCase();
  return unit === 'Y' ? n : unit === 'M' ? n / 12 : unit === 'W' ? n / 52.18 : n / 365.25;
}

/** Whole years from PatientBirthDate to the study's date (DA: YYYYMMDD). */
export function ageFromDates(birth: string | undefined, at: string | undefined): number | undefined {
  const b = date(birth);
  const s = date(at);
  if (!b || !s || s < b) return undefined;
  return (s.getTime() - b.getTime()) / (365.25 * 24 * 3600 * 1000);
}

function date(value: string | undefined): Date | undefined {
  const m = /^\s*(\d{4})\.?(\d{2})\.?(\d{2})/.exec(value ?? '');
  if (!m) return undefined;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return Number.isNaN(d.getTime()) ? undefined : d;
}
