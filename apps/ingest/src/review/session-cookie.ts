import type { Request } from 'express';
import { REVIEW_SESSION_TTL_MS } from './review-sessions';

/** `__Host-`: the browser keeps it only if Secure, for this host alone and every path. */
export const SESSION_COOKIE = '__Host-pneumoscreen-review';

/** The review session's token from the request's cookies, if it carries one. */
export function sessionToken(req: Pick<Request, 'headers'>): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) return part.slice(eq + 1).trim() || undefined;
  }
  return undefined;
}

/** HttpOnly, so page scripts never see it; SameSite=Strict, so no other site's page can send it. */
export function sessionCookie(token: string): string {
  return `${SESSION_COOKIE}=${token}; Path=/; Max-Age=${REVIEW_SESSION_TTL_MS / 1000}; HttpOnly; Secure; SameSite=Strict`;
}

export function clearedSessionCookie(): string {
  return `${SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Strict`;
}

/**
 * Whether a request that a cookie would authenticate comes from a page of this origin: what the
 * browser says of it (Fetch Metadata, else Origin), besides SameSite. A request without either
 * header is not a browser's cross-site one.
 */
export function fromSameOrigin(req: Pick<Request, 'headers'>): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined) return site === 'same-origin';
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}
