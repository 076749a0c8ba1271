import type { StudyResult } from '@pneumoscreen/contracts';
import type { ReliabilityStack, TenantId } from '../stack';
import { announce, type Workload } from '../workload';

export const INPUT_KINDS = [
  'corrupt-image',
  'empty-image',
  'huge-image',
  'decompression-bomb',
  'non-image',
  'hostile-dicom',
  'malformed-event',
  'oversized-event',
  'malformed-manifest',
  'oversized-manifest',
  'path-trick-key',
  'hostile-callback',
  'cross-tenant',
] as const;
export type InputKind = (typeof INPUT_KINDS)[number];

export interface BadInputRecord {
  kind: InputKind;
  name: string;
  /** What the system answered: an HTTP status and message, or the per-image or per-study entry
   * of the result. */
  answer: string;
  /** Whether that answer is a clear refusal of this item (and nothing else was harmed). */
  ok: boolean;
}

export interface InputContext {
  stack: ReliabilityStack;
  workload: Workload;
  /** Resolves with the study's result once it reached its tenant's endpoint. */
  resultOf(studyId: string): Promise<StudyResult>;
}

/** An answer from an HTTP response: its status and the gist of its body. */
export async function httpAnswer(res: Response): Promise<string> {
  const text = (await res.text()).slice(0, 300);
  let gist = text;
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    gist = typeof body.message === 'string' ? body.message : JSON.stringify(body);
  } catch {
    // not JSON: the text as it came
  }
  return `${res.status} ${gist}`.trim();
}

/**
 * Puts each bad image into one study of the tenant's, beside one good X-ray, and reads each
 * one's answer from the study's result: every bad image must come back with an `error` (or as
 * not assessed), and the good one still scored.
 */
export async function imagesInOneStudy(
  ctx: InputContext,
  kindOf: (name: string) => InputKind,
  items: Array<{ name: string; body: Buffer | string; accept?: (i: StudyResult['images'][number]) => boolean }>,
  tenant: TenantId = 'a',
): Promise<BadInputRecord[]> {
  const { folder, studyId } = ctx.workload.nextFolder(tenant, 'bad');
  const good = `incoming/${folder}/good.jpeg`;
  const keyOf = (name: string) => `incoming/${folder}/${name}`;
  for (const it of items) await mustTake(ctx.stack, keyOf(it.name), it.body);
  await mustTake(ctx.stack, good, ctx.workload.pickXray());
  await mustTake(ctx.stack, `incoming/${folder}/manifest.json`, '{}');
  ctx.workload.expect({ studyId, tenant, keys: [good, ...items.map((i) => keyOf(i.name))] });
  const result = await ctx.resultOf(studyId);
  return items.map((it) => {
    const image = result.images.find((i) => i.key === keyOf(it.name));
    if (!image) return { kind: kindOf(it.name), name: it.name, answer: 'missing from the result', ok: false };
    const answer = image.error
      ? `error: ${image.error}`
      : image.decision === 'NOT_ASSESSED'
        ? `NOT_ASSESSED (${image.outOfScope?.reason ?? '?'})`
        : `scored ${image.probability}`;
    const refused = Boolean(image.error) || image.decision === 'NOT_ASSESSED';
    return { kind: kindOf(it.name), name: it.name, answer, ok: it.accept ? it.accept(image) : refused };
  });
}

export async function mustTake(stack: ReliabilityStack, key: string, body: Buffer | string): Promise<void> {
  const res = await announce(stack, key, body);
  if (res.status !== 200) throw new Error(`ingest answered ${res.status} to the event for ${key}`);
}
