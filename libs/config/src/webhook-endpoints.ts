import { z } from 'zod';
import { parseJsonSetting } from './json-setting';

// Mirrors WebhookEventType in @pneumoscreen/contracts: config depends on no other lib.
export const WEBHOOK_EVENT_TYPES = ['study.completed', 'study.failed', 'model.rolled_out'] as const;

export const EndpointUrl = z
  .string()
  .url()
  .refine((u) => /^https?:\/\//i.test(u), 'must be an http or https URL');

export const EndpointEvents = z
  .array(z.enum(WEBHOOK_EVENT_TYPES))
  .min(1)
  .refine((e) => new Set(e).size === e.length, 'lists an event type twice');

export const WebhookSecret = z.string().regex(/^whsec_[A-Za-z0-9+/=]+$/, 'must look like whsec_<base64>');

const WebhookEndpoint = z
  .object({
    url: EndpointUrl,
    /** Only studies in this bucket; any bucket when absent. */
    bucket: z.string().min(3).max(63).optional(),
    /** Only studies whose every object key starts with this; any key when absent. */
    prefix: z.string().min(1).optional(),
    /** Only these event types; every type when absent. */
    events: EndpointEvents.optional(),
  })
  // A misspelt key ("event", "buckets") would otherwise widen the filter silently.
  .strict();
export type WebhookEndpointConfig = z.infer<typeof WebhookEndpoint>;

const WebhookEndpointList = z.array(WebhookEndpoint);

/** `WEBHOOK_ENDPOINTS` is a JSON array, or the path of a file holding one. Messages never quote
 * the content: a receiver URL may carry a token in its query string. */
export function parseWebhookEndpoints(raw: string, ctx: z.RefinementCtx): WebhookEndpointConfig[] {
  return parseJsonSetting(WebhookEndpointList, raw, ctx);
}

const DURATION = /^(\d+)(ms|s|m|h)?$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/** `250ms`, `5s`, `30m`, `2h`; a bare number is milliseconds. */
export const durationMs = z
  .string()
  .regex(DURATION, 'must be a duration like 0, 250ms, 5s, 30m or 2h')
  .transform((v) => {
    const [, n, unit] = DURATION.exec(v)!;
    return Number(n) * UNIT_MS[(unit ?? 'ms') as keyof typeof UNIT_MS];
  });
