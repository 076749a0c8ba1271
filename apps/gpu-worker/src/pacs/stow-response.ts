import type { PacsFailedInstance } from '@pneumoscreen/contracts';

/** What a STOW-RS response (PS3.18 10.5.3, DICOM JSON) says about the instances sent. */
export interface StowResponse {
  /** Referenced SOP Sequence (0008,1199): the instances stored; undefined when the body had none. */
  stored?: number;
  /** Failed SOP Sequence (0008,1198). */
  failed: PacsFailedInstance[];
}

type JsonDataSet = Record<string, { vr?: string; Value?: unknown[] } | undefined>;

const REFERENCED_SOP_SEQUENCE = '00081199';
const FAILED_SOP_SEQUENCE = '00081198';
const REFERENCED_SOP_CLASS_UID = '00081150';
const REFERENCED_SOP_INSTANCE_UID = '00081155';
const FAILURE_REASON = '00081197';

/** Reads the response's DICOM JSON (one data set, or an array holding one); a body that is not
 * DICOM JSON (XML, an HTML error page, nothing) says nothing about instances. */
export function parseStowResponse(body: string): StowResponse {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { failed: [] };
  }
  const ds = (Array.isArray(parsed) ? parsed[0] : parsed) as JsonDataSet | undefined;
  if (!ds || typeof ds !== 'object') return { failed: [] };
  const items = (tag: string) => (ds[tag]?.Value ?? []).filter((i): i is JsonDataSet => !!i && typeof i === 'object');
  const failed = items(FAILED_SOP_SEQUENCE).map((item) => {
    const uid = (tag: string) => (typeof item[tag]?.Value?.[0] === 'string' ? (item[tag]!.Value![0] as string) : undefined);
    const reason = item[FAILURE_REASON]?.Value?.[0];
    return {
      ...(uid(REFERENCED_SOP_INSTANCE_UID) ? { sopInstanceUid: uid(REFERENCED_SOP_INSTANCE_UID) } : {}),
      ...(uid(REFERENCED_SOP_CLASS_UID) ? { sopClassUid: uid(REFERENCED_SOP_CLASS_UID) } : {}),
      ...(Number.isInteger(reason) ? { failureReason: reason as number } : {}),
    };
  });
  return { ...(ds[REFERENCED_SOP_SEQUENCE] ? { stored: items(REFERENCED_SOP_SEQUENCE).length } : {}), failed };
}

/** `0xA700` and the like, as PS3.18 writes Failure Reasons. */
export function failureReasonHex(code: number | undefined): string {
  return code === undefined ? 'unknown' : `0x${code.toString(16).toUpperCase().padStart(4, '0')}`;
}
