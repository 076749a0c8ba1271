import { z } from 'zod';

/** Why an endpoint receives nothing more until an operator enables it again; kept in Redis. */
export const DisabledEndpoint = z.object({
  url: z.string(),
  since: z.string(),
  reason: z.string(),
  /** The message whose delivery was answered with the status that disabled it. */
  messageId: z.string().optional(),
});
export type DisabledEndpoint = z.infer<typeof DisabledEndpoint>;
