import { z } from 'zod';
import { ChannelName, ModelName, ModelVersionId } from './registry';
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

/** Sent when an operator points a channel at another version, so subscribers know which version
 * now serves; names the model and versions only. */
export const ModelRolledOutEvent = z.object({
  type: z.literal('model.rolled_out'),
  timestamp: z.string(),
  data: z.object({
    action: z.enum(['promote', 'canary', 'rollback']),
    model: ModelName,
    channel: ChannelName,
    version: ModelVersionId,
    previousVersion: ModelVersionId.nullable(),
    /** Share of studies the channel takes, for a canary. */
    fraction: z.number().gt(0).max(1).optional(),
  }),
});
export type ModelRolledOutEvent = z.infer<typeof ModelRolledOutEvent>;
