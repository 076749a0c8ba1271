import { Inject, Injectable } from '@nestjs/common';
import { ReaderId } from '@pneumoscreen/contracts';
import type { ApiKeys, Caller } from '../auth/api-keys';
import { API_KEYS, REVIEW_SESSIONS } from '../tokens';
import type { ReviewSessions } from './review-sessions';

/** The review page labels images, so signing in takes a key with the `feedback` scope. */
const REVIEW_SCOPE = 'feedback';

/** Signs readers in to the review page with their tenant's API keys, and back out. */
@Injectable()
export class ReviewAuth {
  constructor(
    @Inject(API_KEYS) private readonly keys: ApiKeys,
    @Inject(REVIEW_SESSIONS) private readonly sessions: ReviewSessions,
  ) {}

  /** A session token for a key with the review scope and a valid reader id; null otherwise,
   * without saying which was wrong. */
  async signIn(apiKey: string, readerId: string): Promise<string | null> {
    const key = this.keys.identify(apiKey);
    if (!key || !key.scopes.includes(REVIEW_SCOPE) || !ReaderId.safeParse(readerId).success) return null;
    return this.sessions.open({ tenantId: key.tenant.id, keyId: key.id, readerId });
  }

  /** Whom a session stands for, while the key it was opened with is still configured with the
   * review scope: removing a key ends its sessions at ingest's next start. */
  async caller(token: string): Promise<Caller | null> {
    const session = await this.sessions.find(token);
    const key = session && this.keys.byId(session.tenantId, session.keyId);
    if (!session || !key || !key.scopes.includes(REVIEW_SCOPE)) return null;
    return { tenant: key.tenant, keyId: key.id, readerId: session.readerId };
  }

  async signOut(token: string): Promise<void> {
    await this.sessions.close(token);
  }
}
