import { HeaderSource, verify } from './signing';

export interface VerifyWebhookInput<T> {
  headers: HeaderSource;
  /** The raw request body, before any JSON middleware touched it. */
  body: string | Uint8Array;
  /** One secret, or the old and new one while rotating. */
  secret: string | readonly string[];
  now?: () => Date;
  toleranceSeconds?: number;
  /** Anything with `parse`, e.g. `StudyWebhookEvent` from @pneumoscreen/contracts. */
  schema?: { parse(data: unknown): T };
}

export interface VerifiedWebhook<T> {
  /** Same for every retry of one event: store it to drop duplicates. */
  id: string;
  timestamp: number;
  event: T;
}

/** For customers' receivers: verifies a delivery and returns its parsed event.
 * Throws `WebhookVerificationError` when the message is not authentic. */
export function verifyWebhook<T = unknown>(input: VerifyWebhookInput<T>): VerifiedWebhook<T> {
  const { body } = input;
  // The usual mistake is passing `req.body` after express.json(): re-serialising an object never
  // reproduces the signed bytes, so say so instead of reporting a bad signature.
  if (typeof body !== 'string' && !(body instanceof Uint8Array)) {
    throw new TypeError('verifyWebhook needs the raw request body (string or Buffer), not a parsed object');
  }
  const secrets = typeof input.secret === 'string' ? [input.secret] : input.secret;
  const { id, timestamp } = verify({ ...input, secrets });
  let data: unknown;
  try {
    data = JSON.parse(Buffer.from(body).toString('utf8'));
  } catch {
    throw new Error(`webhook ${id} is authentic but its body is not JSON`);
  }
  return { id, timestamp, event: input.schema ? input.schema.parse(data) : (data as T) };
}
