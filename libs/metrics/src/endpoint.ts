import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry, collectDefaultMetrics } from 'prom-client';

export interface MetricsAddress {
  host: string;
  /** 0 takes a free port. */
  port: number;
}

/** A registry holding the process's own metrics (CPU, memory, event-loop lag, GC), for an app's
 * metrics to join. */
export function metricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

/**
 * Serves `GET /metrics` in Prometheus' text format at `where`, or nothing when `where` is absent,
 * and `GET /ready`: 200 while `ready()` holds (always, without one), 503 otherwise, for a
 * readiness probe. Its two methods carry Nest's lifecycle names, so an app provides it as it is and Nest starts and
 * stops it with the app.
 */
export class MetricsEndpoint {
  private server: Server | undefined;
  /** Where it listens, once it does. */
  url: string | undefined;

  constructor(
    private readonly where: MetricsAddress | undefined,
    private readonly registry: Registry,
    private readonly log: (line: string) => void,
    private readonly ready: () => boolean = () => true,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.where) return;
    const server = createServer((req, res) => {
      const path = req.url?.split('?')[0];
      if (req.method === 'GET' && path === '/ready') {
        const ready = this.ready();
        res.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' }).end(ready ? 'ready\n' : 'not ready\n');
        return;
      }
      if (req.method !== 'GET' || path !== '/metrics') {
        res.writeHead(404).end();
        return;
      }
      this.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': this.registry.contentType }).end(text),
        (e: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${e.message}\n`),
      );
    });
    const { host, port } = this.where;
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, resolve));
    this.server = server;
    const address = server.address() as AddressInfo;
    this.url = `http://${address.address}:${address.port}/metrics`;
    this.log(`metrics at ${this.url}`);
  }

  async onApplicationShutdown(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
