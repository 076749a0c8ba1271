import { X509Certificate, createVerify } from 'node:crypto';
import { z } from 'zod';

/** Why an SNS message was refused; the message never quotes the body. */
export class SnsMessageError extends Error {
  override name = 'SnsMessageError';
}

const Common = {
  MessageId: z.string().min(1),
  TopicArn: z.string().regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_.-]+$/, 'is not an SNS topic ARN'),
  Message: z.string(),
  Timestamp: z.string().min(1),
  SignatureVersion: z.enum(['1', '2']),
  Signature: z.string().min(1),
  SigningCertURL: z.string().min(1),
};

/** What SNS POSTs to an HTTPS subscription (`text/plain`, JSON inside). */
export const SnsMessage = z.discriminatedUnion('Type', [
  z.object({ Type: z.literal('Notification'), ...Common, Subject: z.string().optional() }).passthrough(),
  z
    .object({ Type: z.literal('SubscriptionConfirmation'), ...Common, SubscribeURL: z.string().min(1), Token: z.string().min(1) })
    .passthrough(),
  z
    .object({ Type: z.literal('UnsubscribeConfirmation'), ...Common, SubscribeURL: z.string().min(1), Token: z.string().min(1) })
    .passthrough(),
]);
export type SnsMessage = z.infer<typeof SnsMessage>;

/** The fields SNS signs, in the order it signs them (AWS: "Verifying the signatures of Amazon SNS
 * messages"): each as `Name\nValue\n`, Subject only when present. */
export function snsStringToSign(m: SnsMessage): string {
  const names =
    m.Type === 'Notification'
      ? ['Message', 'MessageId', ...(m.Subject === undefined ? [] : ['Subject']), 'Timestamp', 'TopicArn', 'Type']
      : ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'];
  return names.map((n) => `${n}\n${(m as Record<string, unknown>)[n] as string}\n`).join('');
}

const SNS_HOST = /^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/;

/** Only SNS's own hosts may sign messages or take subscription confirmations: anyone can host a
 * certificate, and a confirmation URL pointing elsewhere would make ingest call it. */
export function assertSnsUrl(raw: string, what: string, path?: RegExp): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new SnsMessageError(`${what} is not a URL`);
  }
  if (url.protocol !== 'https:') throw new SnsMessageError(`${what} is not https`);
  if (!SNS_HOST.test(url.hostname) || url.port !== '' || url.username || url.password) {
    throw new SnsMessageError(`${what} is not on an sns.<region>.amazonaws.com host`);
  }
  if (path && !path.test(url.pathname)) throw new SnsMessageError(`${what} does not name a certificate`);
  return url;
}

/** The network side of SNS: fetching signing certificates and confirming subscriptions. */
export interface SnsTransport {
  fetchCertificate(url: string): Promise<string>;
  confirmSubscription(url: string): Promise<void>;
}

/** SNS rotates signing certificates rarely; an hour keeps a burst of messages to one fetch. */
const CERT_TTL_MS = 3_600_000;
const MAX_CERTS = 64;

/**
 * Checks that a body is an SNS message signed by SNS (SignatureVersion 1: SHA1withRSA, 2:
 * SHA256withRSA) with a certificate fetched over https from an SNS host, cached by URL. Which
 * topics may send is the caller's rule: anyone can sign messages of a topic of their own.
 */
export class SnsVerifier {
  private readonly certs = new Map<string, { at: number; cert: Promise<X509Certificate> }>();

  constructor(
    private readonly transport: Pick<SnsTransport, 'fetchCertificate'>,
    private readonly now: () => number = Date.now,
  ) {}

  async verify(body: unknown): Promise<SnsMessage> {
    let json = body;
    if (typeof body === 'string') {
      try {
        json = JSON.parse(body);
      } catch {
        throw new SnsMessageError('the body is not valid JSON');
      }
    }
    const parsed = SnsMessage.safeParse(json);
    if (!parsed.success) {
      throw new SnsMessageError(
        `not an SNS message: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')}`,
      );
    }
    const m = parsed.data;
    const certUrl = assertSnsUrl(m.SigningCertURL, 'SigningCertURL', /\.pem$/).href;
    const cert = await this.certificate(certUrl);
    const at = this.now();
    if (at < Date.parse(cert.validFrom) || at > Date.parse(cert.validTo))
      throw new SnsMessageError('the signing certificate is not valid now');
    const verifier = createVerify(m.SignatureVersion === '1' ? 'RSA-SHA1' : 'RSA-SHA256');
    verifier.update(snsStringToSign(m), 'utf8');
    if (!verifier.verify(cert.publicKey, m.Signature, 'base64')) throw new SnsMessageError('the signature does not verify');
    return m;
  }

  private certificate(url: string): Promise<X509Certificate> {
    const cached = this.certs.get(url);
    if (cached && this.now() - cached.at < CERT_TTL_MS) return cached.cert;
    const cert = this.transport.fetchCertificate(url).then(
      (pem) => {
        try {
          return new X509Certificate(pem);
        } catch {
          throw new SnsMessageError('the signing certificate cannot be read');
        }
      },
      (e: Error) => {
        throw new SnsMessageError(`the signing certificate cannot be fetched: ${e.message}`);
      },
    );
    // A failed fetch is not kept: the next message tries again.
    cert.catch(() => this.certs.delete(url));
    if (this.certs.size >= MAX_CERTS) this.certs.delete(this.certs.keys().next().value!);
    this.certs.set(url, { at: this.now(), cert });
    return cert;
  }
}
