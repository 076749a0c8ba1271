import { createHash, randomBytes } from 'node:crypto';
import type { RedisClient } from '@pneumoscreen/queue';
import { z } from 'zod';
import { ReaderId } from '@pneumoscreen/contracts';

/** A reader signed in to the review page with one of its tenant's API keys. */
export const ReviewSession = z.object({ tenantId: z.string().min(1), keyId: z.string().min(1), readerId: ReaderId });
export type ReviewSession = z.infer<typeof ReviewSession>;

/** A working shift: a reader signs in again the next day, and a stolen cookie is not good for long. */
export const REVIEW_SESSION_TTL_MS = 8 * 3_600_000;

export interface ReviewSessions {
  /** A new session's token: 256 random bits, known only to the browser holding the cookie. */
  open(session: ReviewSession): Promise<string>;
  find(token: string): Promise<ReviewSession | null>;
  close(token: string): Promise<void>;
}

/** Sessions in Redis under the SHA-256 of their token, so a copy of Redis signs nobody in. */
export class RedisReviewSessions implements ReviewSessions {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly ttlMs = REVIEW_SESSION_TTL_MS,
  ) {}

  private key(token: string) {
    return `${this.prefix}:review-session:${createHash('sha256').update(token).digest('hex')}`;
  }

  async open(session: ReviewSession): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    await this.redis.set(this.key(token), JSON.stringify(session), 'PX', this.ttlMs);
    return token;
  }

  async find(token: string): Promise<ReviewSession | null> {
    const raw = await this.redis.get(this.key(token));
    if (!raw) return null;
    const parsed = ReviewSession.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  }

  async close(token: string): Promise<void> {
    await this.redis.del(this.key(token));
  }
}
