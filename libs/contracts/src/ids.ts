import { createHash, createHmac, randomBytes } from 'node:crypto';
import { z } from 'zod';

/** Study ids become S3 key segments, Redis keys and URL path segments: keep them boring. */
export const StudyId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'study id must be 1-128 of A-Z a-z 0-9 . _ - and start with a letter or digit');
export type StudyId = z.infer<typeof StudyId>;

/** An S3 object identity: the same (bucket, key, version or ETag) is classified exactly once. */
export interface ObjectIdentity {
  bucket: string;
  key: string;
  etag: string;
  versionId?: string;
}

function digest(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);
}

/**
 * The study id of a DICOM file's StudyInstanceUID: a keyed HMAC (the deployment's STUDY_ID_KEY) of
 * the tenant and the UID's digest. Keyed, so nobody without the key can tell from a study id which
 * UID it stands for or aim a file at a known study; scoped to the tenant, so a file naming another
 * tenant's StudyInstanceUID starts a study of its own tenant instead of joining that one.
 */
export function uidStudyId(key: string, tenantId: string, uidDigest: string): string {
  return createHmac('sha256', key).update(`${tenantId}\u0000${uidDigest}`).digest('hex').slice(0, 32);
}

/** Content-derived BullMQ job id for an image of a study: duplicate events map onto the same job.
 * The study is part of the id because BullMQ refuses to attach one job to two parents; objects
 * under `incoming/<studyId>/` belong to exactly one study anyway. */
export function imageJobId(studyId: string, o: ObjectIdentity): string {
  return `img-${digest(studyId, o.bucket, o.key, o.versionId ?? '', normaliseEtag(o.etag))}`;
}

export function studyJobId(bucket: string, studyId: string): string {
  return `study-${digest(bucket, studyId)}`;
}

/** The webhook id is the receiver's idempotency key: stable across retries of one event. Derived
 * ids serve events anyone may know of (a model roll-out); a study's is random (`newMessageId`). */
export function webhookMessageId(eventType: string, subject: string): string {
  return `msg_${digest(eventType, subject)}`;
}

/** 128 random bits: a study's webhook id, stored with its message so retries reuse it. */
export function newMessageId(): string {
  return `msg_${randomBytes(16).toString('hex')}`;
}

/** One delivery of a message to one endpoint: an event for several endpoints is several jobs that
 * share a `webhook-id`, and a finaliser that runs twice enqueues each of them once. */
export function webhookJobId(messageId: string, url: string): string {
  return `${messageId}.${digest(new URL(url).href).slice(0, 12)}`;
}

/** ETags arrive quoted from S3 responses and bare in event notifications; compare them bare. */
export function normaliseEtag(etag: string): string {
  return etag.replace(/^W\//, '').replace(/^"|"$/g, '').toLowerCase();
}
