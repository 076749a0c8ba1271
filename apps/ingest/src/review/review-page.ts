import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NextFunction, Request, Response } from 'express';

/** Plain HTML, CSS and JS beside the app's build, served by ingest itself: nothing loads from
 * another origin, so the page works where readers have no internet. */
const DIR = join(__dirname, '../../review-page');
const TYPES = { 'review.js': 'text/javascript; charset=utf-8', 'review.css': 'text/css; charset=utf-8' } as const;

export type ReviewAssetName = keyof typeof TYPES;

export class ReviewPage {
  private readonly loginHtml = readFileSync(join(DIR, 'login.html'), 'utf8');
  readonly worklistHtml = readFileSync(join(DIR, 'review.html'), 'utf8');
  private readonly assets = new Map(Object.entries(TYPES).map(([name, type]) => [name, { type, body: readFileSync(join(DIR, name)) }]));

  /** The sign-in form; after a refusal, with a message of its own (never anything the request said). */
  signIn(refused = false): string {
    const message =
      '<p class="error" role="alert">That key cannot open the review page (it needs the feedback scope), or the reader id is not valid.</p>';
    return this.loginHtml.replace('<!--signin-error-->', refused ? message : '');
  }

  asset(name: string): { type: string; body: Buffer } | undefined {
    return this.assets.get(name);
  }
}

/** Every review response: no framing, no other origins, no caching of results, no referrer. */
export function reviewHeaders(_req: Request, res: Response, next: NextFunction): void {
  res.set({
    'Content-Security-Policy':
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
  });
  next();
}
