import { StudyResult, StudyWebhookEvent, resultsKey } from '@pneumoscreen/contracts';
import type { ReceivedWebhook } from '@pneumoscreen/testing';
import { BUCKET, TENANT_IDS, type ReliabilityStack, type TenantId } from './stack';
import type { ExpectedStudy } from './workload';

export interface Delivery {
  studyId: string;
  /** The tenant whose endpoint path it was posted to, and those whose secret it verifies with. */
  endpointOf?: TenantId;
  signedBy: TenantId[];
  messageId: string;
  result: StudyResult;
}

/** The study events the receiver got (other event types and unparsable bodies left out). */
export function deliveries(stack: ReliabilityStack, requests: readonly ReceivedWebhook[]): Delivery[] {
  const out: Delivery[] = [];
  for (const r of requests) {
    const parsed = StudyWebhookEvent.safeParse(safeJson(r.body));
    if (!parsed.success) continue;
    out.push({
      studyId: parsed.data.data.studyId,
      endpointOf: TENANT_IDS.find((t) => r.path === stack.tenants[t].path),
      signedBy: r.verifiedBy.map((i) => TENANT_IDS[i]!),
      messageId: String(r.headers['webhook-id'] ?? ''),
      result: parsed.data.data,
    });
  }
  return out;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export interface StudyTally {
  submitted: number;
  completed: number;
  /** No result reached the tenant's endpoint, or none is in S3, or images are missing from it. */
  lost: string[];
  /** More than one message (distinct webhook-ids) for a study, or an image twice in a result. */
  duplicated: string[];
  /** A result at another tenant's endpoint, signed with another tenant's secret, or naming an
   * image that is not the study's. */
  misrouted: string[];
  /** Good X-rays of the workload that got an error instead of a score. */
  unclassified: string[];
}

/** Judges every expected study by what reached the receiver and what is in the store. */
export async function tallyStudies(
  stack: ReliabilityStack,
  expected: readonly ExpectedStudy[],
  all: readonly Delivery[],
  goodIds: ReadonlySet<string>,
): Promise<StudyTally> {
  const t: StudyTally = { submitted: expected.length, completed: 0, lost: [], duplicated: [], misrouted: [], unclassified: [] };
  const byStudy = new Map<string, Delivery[]>();
  for (const d of all) byStudy.set(d.studyId, [...(byStudy.get(d.studyId) ?? []), d]);
  const expectedIds = new Set(expected.map((e) => e.studyId));
  for (const e of expected) {
    const ds = byStudy.get(e.studyId) ?? [];
    if (
      ds.some(
        (d) =>
          d.endpointOf !== e.tenant ||
          d.signedBy.length !== 1 ||
          d.signedBy[0] !== e.tenant ||
          d.result.images.some((i) => !e.keys.includes(i.key)),
      )
    ) {
      t.misrouted.push(e.studyId);
    }
    if (
      new Set(ds.map((d) => d.messageId)).size > 1 ||
      ds.some((d) => new Set(d.result.images.map((i) => i.key)).size !== d.result.images.length)
    )
      t.duplicated.push(e.studyId);
    const mine = ds.find((d) => d.endpointOf === e.tenant && d.signedBy.includes(e.tenant));
    const stored = await storedResult(stack, e.studyId);
    const complete = (r: StudyResult | undefined) => r !== undefined && e.keys.every((k) => r.images.some((i) => i.key === k));
    if (!mine || !complete(mine.result) || !complete(stored)) {
      const missing = mine ? e.keys.filter((k) => !mine.result.images.some((i) => i.key === k)).length : e.keys.length;
      t.lost.push(
        `${e.studyId} (${!mine ? 'no result at its endpoint' : !stored ? 'no result in the store' : `${missing} of ${e.keys.length} images missing from its result`})`,
      );
      continue;
    }
    t.completed++;
    if (goodIds.has(e.studyId)) {
      for (const i of mine.result.images)
        if (i.probability === undefined || i.error) t.unclassified.push(`${i.key}: ${i.error ?? i.decision}`);
    }
  }
  // A study nobody sent, delivered to a tenant: its objects were grouped where they should not be.
  for (const [id, ds] of byStudy)
    if (!expectedIds.has(id)) t.misrouted.push(`${id} (not sent, delivered to ${ds.map((d) => d.endpointOf ?? 'no endpoint').join(', ')})`);
  return t;
}

async function storedResult(stack: ReliabilityStack, studyId: string): Promise<StudyResult | undefined> {
  try {
    const { body } = await stack.store.getObject(BUCKET, resultsKey(studyId), { maxBytes: 16 * 1024 * 1024 });
    return StudyResult.parse(JSON.parse(body.toString('utf8')));
  } catch {
    return undefined;
  }
}
