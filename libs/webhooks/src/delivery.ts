import { performance } from 'node:perf_hooks';
import { Agent, fetch as undiciFetch, type Dispatcher } from 'undici';
import { AddressPolicy, UnsafeWebhookUrlError, assertDeliverableUrl, guardedLookup } from './address-guard';
import { WebhookSecretError, signedHeaders } from './signing';

export interface DeliveryAttempt {
  /** `gone`: the receiver answered 410, stop sending to it. `refused`: we will not send it at all
   * (unsafe URL, unusable secret); retrying cannot help. */
  outcome: 'delivered' | 'retry' | 'gone' | 'refused';
  status?: number;
  latencyMs: number;
  error?: string;
  retryAfterMs?: number;
  /** When the attempt started, ISO 8601. */
  at: string;
}

export interface DeliverWebhookInput {
  url: string;
  body: string;
  /** The message id: one per event, the same on every attempt. */
  id: string;
  secrets: string | readonly string[];
  timeoutMs?: number;
  now?: () => Date;
  /** Which hosts may receive webhooks. Defaults to public addresses only. */
  addressPolicy?: AddressPolicy;
  /** Stands in for the network in unit tests; undici's fetch by default. */
  fetchImpl?: FetchLike;
  /** The connections to send over, from `webhookDispatcher(addressPolicy)`: kept by the caller so
   * that connections are reused. A one-off one is made (and closed) when absent. */
  dispatcher?: Dispatcher;
}

/** An HTTP agent whose every connection checks the addresses it connects to (`guardedLookup`),
 * unless the policy allows private addresses (development and tests). */
export function webhookDispatcher(policy: AddressPolicy): Dispatcher {
  return policy.allowPrivate ? new Agent() : new Agent({ connect: { lookup: guardedLookup(policy) } });
}

interface FetchResponse {
  status: number;
  headers: { get(name: string): string | null };
  body?: { cancel(): Promise<void> } | null;
}
export type FetchLike = (
  url: string,
  init: { method: 'POST'; headers: Record<string, string>; body: string; redirect: 'manual'; signal: AbortSignal; dispatcher: Dispatcher },
) => Promise<FetchResponse>;

const USER_AGENT = 'pneumoscreen-webhooks/1';

/** Retry-After is either delay-seconds or an HTTP date (RFC 9110 §10.2.3). Null when absent or
 * unreadable; a date in the past means "now". */
export function parseRetryAfter(value: string | null, now: Date): number | null {
  if (value === null) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // Date.parse reads strings like "1.5" or "-5" as dates; an HTTP date always has a month name.
  if (!/[a-z]/i.test(trimmed)) return null;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? null : Math.max(0, at - now.getTime());
}

function describeFetchError(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
    return `timed out after ${timeoutMs} ms`;
  }
  // undici reports every network failure as "fetch failed" and keeps the reason in `cause`.
  const cause = err instanceof Error ? (err.cause as { code?: string; message?: string } | undefined) : undefined;
  const message = err instanceof Error ? err.message : String(err);
  return cause?.message ? `${message}: ${cause.code ? `${cause.code} ` : ''}${cause.message}` : message;
}

/** Makes one delivery attempt and classifies the result; never throws. The caller owns the
 * schedule (see retry-schedule.ts) and the bookkeeping. */
export async function deliverWebhook(input: DeliverWebhookInput): Promise<DeliveryAttempt> {
  const { url, body, id, secrets, timeoutMs = 15_000, now = () => new Date() } = input;
  const policy = input.addressPolicy ?? { allowPrivate: false };
  const startedAt = now();
  const started = performance.now();
  const finish = (rest: Omit<DeliveryAttempt, 'latencyMs' | 'at'>): DeliveryAttempt => ({
    ...rest,
    latencyMs: Math.round(performance.now() - started),
    at: startedAt.toISOString(),
  });

  let headers: Record<string, string>;
  try {
    await assertDeliverableUrl(url, policy);
    headers = { ...signedHeaders({ id, body, secrets, now: () => startedAt }), 'user-agent': USER_AGENT };
  } catch (err) {
    if (err instanceof UnsafeWebhookUrlError || err instanceof WebhookSecretError) {
      return finish({ outcome: 'refused', error: err.message });
    }
    return finish({ outcome: 'retry', error: describeFetchError(err, timeoutMs) });
  }

  const dispatcher = input.dispatcher ?? webhookDispatcher(policy);
  let status: number;
  let retryAfter: string | null;
  try {
    const response = await (input.fetchImpl ?? undiciFetch)(url, {
      method: 'POST',
      headers,
      body,
      // A redirect would carry the signed body to a host nobody vetted.
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
      dispatcher,
    });
    // The answer is in the status; the body is unread, and cancelled so the connection is freed.
    await response.body?.cancel().catch(() => undefined);
    [status, retryAfter] = [response.status, response.headers.get('retry-after')];
  } catch (err) {
    const cause = err instanceof Error ? err.cause : undefined;
    if (cause instanceof UnsafeWebhookUrlError) return finish({ outcome: 'refused', error: cause.message });
    return finish({ outcome: 'retry', error: describeFetchError(err, timeoutMs) });
  } finally {
    if (!input.dispatcher) await dispatcher.close().catch(() => undefined);
  }

  if (status >= 200 && status < 300) return finish({ outcome: 'delivered', status });
  if (status === 410) return finish({ outcome: 'gone', status, error: 'HTTP 410: the receiver asked us to stop' });
  if (status >= 300 && status < 400) {
    return finish({ outcome: 'retry', status, error: `HTTP ${status}: redirects are not followed` });
  }
  const retryAfterMs = status === 429 || status === 503 ? parseRetryAfter(retryAfter, now()) : null;
  return finish({
    outcome: 'retry',
    status,
    error: `HTTP ${status}`,
    ...(retryAfterMs === null ? {} : { retryAfterMs }),
  });
}
