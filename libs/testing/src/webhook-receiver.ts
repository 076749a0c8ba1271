import { createServer, IncomingHttpHeaders } from 'node:http';
import { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface ReceivedWebhook {
  /** 1 for the first request this receiver saw. */
  n: number;
  /** Epoch milliseconds when the body had arrived. */
  receivedAt: number;
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** Whether the reference Standard Webhooks library accepted it with any configured secret. */
  verified: boolean;
  /** Indexes of the configured secrets the request verifies with. */
  verifiedBy: number[];
  /** The reference library's complaint, when no secret verified it. */
  error?: string;
}

export interface ReceiverResponse {
  status: number;
  headers?: Record<string, string>;
  /** Hold the response back this long, to make a sender time out. */
  delayMs?: number;
}

export interface WebhookReceiverOptions {
  secret?: string;
  secrets?: readonly string[];
  respond?: (req: ReceivedWebhook, n: number) => ReceiverResponse;
  /** Listen on this port (0 or absent: a free one), so a receiver can come back where it was. */
  port?: number;
}

export interface WebhookReceiver {
  url: string;
  requests: readonly ReceivedWebhook[];
  /** Resolves once `predicate` holds for the requests so far; rejects after `timeoutMs`. */
  waitFor(predicate: (requests: readonly ReceivedWebhook[]) => boolean, timeoutMs?: number): Promise<readonly ReceivedWebhook[]>;
  close(): Promise<void>;
}

function headerRecord(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

/** A customer's endpoint on 127.0.0.1 that checks every request with the reference library, so
 * tests judge our signatures by someone else's implementation rather than our own. */
export async function startWebhookReceiver(options: WebhookReceiverOptions): Promise<WebhookReceiver> {
  const secrets = [...(options.secret ? [options.secret] : []), ...(options.secrets ?? [])];
  if (secrets.length === 0) throw new Error('startWebhookReceiver needs a secret or secrets');
  const verifiers = secrets.map((s) => new Webhook(s));
  const respond = options.respond ?? ((): ReceiverResponse => ({ status: 200 }));
  const requests: ReceivedWebhook[] = [];
  const listeners = new Set<() => void>();
  const pending = new Set<NodeJS.Timeout>();

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const verifiedBy: number[] = [];
      let error: string | undefined;
      verifiers.forEach((v, i) => {
        try {
          v.verify(body, headerRecord(req.headers));
          verifiedBy.push(i);
        } catch (err) {
          error ??= err instanceof Error ? err.message : String(err);
        }
      });
      const received: ReceivedWebhook = {
        n: requests.length + 1,
        receivedAt: Date.now(),
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body,
        verified: verifiedBy.length > 0,
        verifiedBy,
        ...(verifiedBy.length === 0 && error ? { error } : {}),
      };
      requests.push(received);
      for (const notify of listeners) notify();
      const reply = respond(received, received.n);
      const send = () => {
        res.writeHead(reply.status, reply.headers);
        res.end();
      };
      if (!reply.delayMs) return send();
      const timer = setTimeout(() => {
        pending.delete(timer);
        send();
      }, reply.delayMs);
      pending.add(timer);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/webhook`,
    requests,
    waitFor(predicate, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!predicate(requests)) return;
          cleanup();
          resolve(requests);
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`webhook receiver: condition not met within ${timeoutMs} ms; got ${requests.length} request(s)`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
    async close() {
      for (const timer of pending) clearTimeout(timer);
      pending.clear();
      // Held-back responses and keep-alive sockets would otherwise keep close() waiting.
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}
