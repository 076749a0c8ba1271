import { z } from 'zod';
import { StudyResult } from './studies';

export const WebhookEventType = z.enum(['study.completed', 'study.failed', 'model.rolled_out']);
export type WebhookEventType = z.infer<typeof WebhookEventType>;

/** Standard Webhooks recommends `{type, timestamp, data}`; `data` carries no patient data. */
export const StudyWebhookEvent = z.object({
  type: z.enum(['study.completed', 'study.failed']),
  timestamp: z.string(),
  data: StudyResult,
});
export type StudyWebhookEvent = z.infer<typeof StudyWebhookEvent>;
