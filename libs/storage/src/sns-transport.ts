import type { SnsTransport } from './sns-message';

const TIMEOUT_MS = 10_000;
const MAX_CERT_BYTES = 64 * 1024;

/** SNS over the network. Callers check every URL with `assertSnsUrl` first; redirects are refused
 * so that the host checked is the host reached. */
export const httpsSnsTransport: SnsTransport = {
  async fetchCertificate(url) {
    const res = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(TIMEOUT_MS) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const text = await res.text();
    if (text.length > MAX_CERT_BYTES) throw new Error('larger than a certificate');
    return text;
  },
  async confirmSubscription(url) {
    const res = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(TIMEOUT_MS) });
    await res.body?.cancel().catch(() => undefined);
    if (!res.ok) throw new Error(`SNS answered HTTP ${res.status} to the subscription confirmation`);
  },
};
