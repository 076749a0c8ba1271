import type { DataSet } from 'dicom-parser';
import { ImageDecodeError } from '../errors';
import { codeString, printable } from './attributes';

/** Projection radiography; CT, MR, ultrasound or "other" pixels mean nothing to a model trained on
 * chest radiographs. */
const RADIOGRAPHY = new Set(['CR', 'DX', 'DR']);
const CHEST = new Set(['CHEST', 'THORAX', 'LUNG']);
/** LL, RL, LAT, LATERAL, XTABLE LATERAL...; decubitus views (LLD, RLD) are frontal and pass. */
const LATERAL = /^(LL|RL)$|LAT/;

/**
 * Refuses, from the header alone, images the model must not judge: it was trained on frontal
 * chest radiographs only, and its score on anything else is meaningless but looks just as sure.
 * Absent attributes do not refuse: many exports drop them.
 */
export function assertJudgeable(ds: DataSet): void {
  const modality = codeString(ds, 'x00080060');
  if (modality !== undefined && !RADIOGRAPHY.has(modality)) {
    refuse(`modality ${quote(modality)} is not a radiograph (CR, DX or DR expected)`);
  }
  const bodyPart = codeString(ds, 'x00180015');
  if (bodyPart !== undefined && !CHEST.has(bodyPart)) {
    refuse(`body part examined ${quote(bodyPart)} is not the chest`);
  }
  const view = codeString(ds, 'x00185101');
  if (view !== undefined && LATERAL.test(view)) {
    refuse(`view position ${quote(view)} is a lateral view; only frontal (PA/AP) chest views are judged`);
  }
}

function quote(value: string): string {
  const safe = printable(value);
  return safe === undefined ? 'with an unrecognised value' : `"${safe}"`;
}

function refuse(why: string): never {
  throw new ImageDecodeError('refused', `DICOM image refused: ${why}`);
}
