import { randomBytes } from 'node:crypto';
import type { PacsFailedInstance } from '@pneumoscreen/contracts';
import type { PacsConfig } from '@pneumoscreen/config';
import { failureReasonHex, parseStowResponse } from './stow-response';

/** What became of one push. `retry`: the server or the network failed (5xx, 408, 429, refused
 * connection, timeout), and the same request may succeed later; `refused`: the server answered
 * that it will not store them (any other 4xx, or failed instances named): sending again cannot
 * help. Reasons name statuses and error codes, never a header or a patient attribute. */
export type PublishOutcome =
  | { kind: 'stored'; httpStatus: number; stored?: number }
  | { kind: 'retry'; httpStatus?: number; reason: string }
  | { kind: 'refused'; httpStatus: number; reason: string; stored?: number; failed: PacsFailedInstance[] };

/** Where a study's DICOM objects go. */
export interface PacsPublisher {
  /** Sends Part 10 files of one study in one request; never throws. */
  publish(files: readonly Buffer[]): Promise<PublishOutcome>;
}

/** A body this long is an error page or a list of every instance: enough to read either. */
const MAX_RESPONSE_CHARS = 1 << 20;

/** DICOMweb STOW-RS (PS3.18 10.5): one `multipart/related; type="application/dicom"` POST to
 * `<base>/studies`. */
export class StowRsPublisher implements PacsPublisher {
  constructor(
    private readonly config: PacsConfig,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  async publish(files: readonly Buffer[]): Promise<PublishOutcome> {
    const boundary = `pneumoscreen-${randomBytes(16).toString('hex')}`;
    const parts: Buffer[] = [];
    for (const file of files)
      parts.push(Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`), file, Buffer.from('\r\n'));
    parts.push(Buffer.from(`--${boundary}--\r\n`));
    let response: Response;
    let text: string;
    try {
      response = await this.fetchImpl(this.config.stowUrl, {
        method: 'POST',
        headers: {
          'content-type': `multipart/related; type="application/dicom"; boundary=${boundary}`,
          accept: 'application/dicom+json',
          ...(this.config.authorization ? { authorization: this.config.authorization } : {}),
        },
        body: Buffer.concat(parts),
        // A redirect could carry the Authorization header elsewhere: a PACS URL is configured exactly.
        redirect: 'manual',
        signal: AbortSignal.timeout(this.config.timeoutMs),
      });
      text = (await response.text()).slice(0, MAX_RESPONSE_CHARS);
    } catch (e) {
      return { kind: 'retry', reason: describeNetworkError(e, this.config.timeoutMs) };
    }
    const status = response.status;
    if (status >= 500 || status === 408 || status === 429) return { kind: 'retry', httpStatus: status, reason: `HTTP ${status}` };
    const body = parseStowResponse(text);
    const stored = body.stored === undefined ? {} : { stored: body.stored };
    if (status >= 200 && status < 300 && !body.failed.length) return { kind: 'stored', httpStatus: status, ...stored };
    const reasons = [...new Set(body.failed.map((f) => failureReasonHex(f.failureReason)))];
    const why = body.failed.length ? `; ${body.failed.length} of ${files.length} instance(s) failed (reason ${reasons.join(', ')})` : '';
    return { kind: 'refused', httpStatus: status, reason: `HTTP ${status}${why}`, ...stored, failed: body.failed };
  }
}

/** fetch reports every network failure as "fetch failed" with the reason in `cause`; only its
 * code is kept (a message may quote the URL). */
function describeNetworkError(e: unknown, timeoutMs: number): string {
  if (e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError')) return `timed out after ${timeoutMs} ms`;
  const code = e instanceof Error ? (e.cause as { code?: unknown } | undefined)?.code : undefined;
  return `network error${typeof code === 'string' ? ` ${code}` : ''}`;
}
