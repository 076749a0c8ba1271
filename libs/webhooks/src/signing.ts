import { createHmac, timingSafeEqual } from 'node:crypto';

/** Thrown for a secret that cannot be used. The message never contains the secret: it ends up
 * in logs and job failure reasons. */
export class WebhookSecretError extends Error {
  override name = 'WebhookSecretError';
}

export type VerificationFailure =
  'missing-header' | 'invalid-timestamp' | 'timestamp-too-old' | 'timestamp-too-new' | 'no-matching-signature';

export class WebhookVerificationError extends Error {
  override name = 'WebhookVerificationError';
  constructor(
    readonly reason: VerificationFailure,
    detail: string,
  ) {
    super(`webhook verification failed (${reason}): ${detail}`);
  }
}

const SECRET_PREFIX = 'whsec_';
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
export const DEFAULT_TOLERANCE_SECONDS = 5 * 60;

/** Decodes `whsec_<base64>`. The prefix is optional, as in every Standard Webhooks library, so
 * customers may paste either form. */
export function parseSecret(secret: string): Buffer {
  if (typeof secret !== 'string') throw new WebhookSecretError('webhook secret must be a string');
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  if (encoded.length === 0 || !BASE64.test(encoded)) {
    throw new WebhookSecretError(
      `webhook secret is malformed: expected "${SECRET_PREFIX}" followed by standard base64 (A-Z a-z 0-9 + / and = padding)`,
    );
  }
  return Buffer.from(encoded, 'base64');
}

function toSecretList(secret: string | readonly string[]): readonly string[] {
  const list = typeof secret === 'string' ? [secret] : secret;
  if (list.length === 0) throw new WebhookSecretError('at least one webhook secret is required');
  return list;
}

function hmacBase64(key: Buffer, id: string, timestamp: number, body: string | Uint8Array): string {
  return createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest('base64');
}

export interface SignInput {
  id: string;
  /** Unix seconds. */
  timestamp: number;
  /** The exact bytes sent: signing a re-serialised object would not match what the receiver hashes. */
  body: string | Uint8Array;
  /** Several secrets during rotation: the receiver accepts whichever it already knows. */
  secret: string | readonly string[];
}

/** `v1,<sig>` per secret, space-separated, as the `webhook-signature` header carries them. */
export function sign({ id, timestamp, body, secret }: SignInput): string {
  if (!id) throw new Error('webhook id must not be empty');
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
    throw new Error(`webhook timestamp must be whole unix seconds, got ${timestamp}`);
  }
  return toSecretList(secret)
    .map((s) => `v1,${hmacBase64(parseSecret(s), id, timestamp, body)}`)
    .join(' ');
}

// A type alias, not an interface, so it passes where a plain header record is expected.
export type SignedHeaders = {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
  'content-type': string;
};

export function signedHeaders({
  id,
  body,
  secrets,
  now = () => new Date(),
}: {
  id: string;
  body: string | Uint8Array;
  secrets: string | readonly string[];
  now?: () => Date;
}): SignedHeaders {
  const timestamp = Math.floor(now().getTime() / 1000);
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': sign({ id, timestamp, body, secret: secrets }),
    'content-type': 'application/json',
  };
}

/** Node's `req.headers`, a fetch `Headers`, or a plain record with any header-name case. */
export type HeaderSource = { get(name: string): string | null } | Record<string, string | readonly string[] | undefined>;

function headerReader(headers: HeaderSource): (name: string) => string | undefined {
  if (typeof headers.get === 'function') {
    const h = headers as { get(name: string): string | null };
    return (name) => h.get(name) ?? undefined;
  }
  const lower = new Map<string, string>();
  for (const [k, v] of Object.entries(headers as Record<string, string | readonly string[] | undefined>)) {
    if (v !== undefined) lower.set(k.toLowerCase(), typeof v === 'string' ? v : v.join(' '));
  }
  return (name) => lower.get(name);
}

export interface VerifyInput {
  headers: HeaderSource;
  body: string | Uint8Array;
  secrets: readonly string[];
  now?: () => Date;
  toleranceSeconds?: number;
}

export interface VerifiedMessage {
  /** Stable across retries of one event: the receiver's idempotency key. */
  id: string;
  timestamp: number;
}

/** Checks the Standard Webhooks headers. Svix sends the same scheme under `svix-*` names, so
 * those are read when no `webhook-id` is present. */
export function verify({
  headers,
  body,
  secrets,
  now = () => new Date(),
  toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
}: VerifyInput): VerifiedMessage {
  const keys = toSecretList(secrets).map(parseSecret);
  const read = headerReader(headers);
  const prefix = read('webhook-id') === undefined && read('svix-id') !== undefined ? 'svix' : 'webhook';
  const id = read(`${prefix}-id`);
  const rawTimestamp = read(`${prefix}-timestamp`);
  const signatures = read(`${prefix}-signature`);
  if (!id || !rawTimestamp || !signatures) {
    const missing = (['id', 'timestamp', 'signature'] as const).filter((n) => !read(`${prefix}-${n}`));
    throw new WebhookVerificationError('missing-header', `no ${missing.map((n) => `${prefix}-${n}`).join(', ')} header`);
  }

  // parseInt would accept "1614265330abc"; the spec's timestamp is plain decimal seconds.
  if (!/^\d{1,15}$/.test(rawTimestamp)) {
    throw new WebhookVerificationError('invalid-timestamp', 'timestamp header is not unix seconds');
  }
  const timestamp = Number(rawTimestamp);
  const nowSeconds = Math.floor(now().getTime() / 1000);
  // Both directions: a far-future timestamp would otherwise let a captured message be replayed later.
  if (nowSeconds - timestamp > toleranceSeconds) {
    throw new WebhookVerificationError('timestamp-too-old', `signed ${nowSeconds - timestamp}s ago`);
  }
  if (timestamp - nowSeconds > toleranceSeconds) {
    throw new WebhookVerificationError('timestamp-too-new', `signed ${timestamp - nowSeconds}s in the future`);
  }

  const expected = keys.map((key) => Buffer.from(hmacBase64(key, id, timestamp, body)));
  for (const entry of signatures.split(' ')) {
    const comma = entry.indexOf(',');
    // Other versions (v1a, future ones) may sit beside v1 in the same header; they are not ours to check.
    if (comma < 0 || entry.slice(0, comma) !== 'v1') continue;
    const given = Buffer.from(entry.slice(comma + 1));
    if (expected.some((e) => e.length === given.length && timingSafeEqual(e, given))) {
      return { id, timestamp };
    }
  }
  throw new WebhookVerificationError('no-matching-signature', 'no v1 signature matches any configured secret');
}
