import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Registry } from 'prom-client';
import type { AppConfig } from '@pneumoscreen/config';
import { CONFIG, METRICS_REGISTRY } from '../tokens';

/** Serves `GET /metrics` in Prometheus' text format when WORKER_METRICS_PORT is set. */
@Injectable()
export class MetricsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger(MetricsServer.name);
  private server: Server | undefined;
  /** Where it listens, once it does. */
  url: string | undefined;

  constructor(
    @Inject(CONFIG) private readonly config: AppConfig,
    @Inject(METRICS_REGISTRY) private readonly registry: Registry,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const where = this.config.worker.metrics;
    if (!where) return;
    const server = createServer((req, res) => {
      if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
        res.writeHead(404).end();
        return;
      }
      this.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': this.registry.contentType }).end(text),
        (e: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${e.message}\n`),
      );
    });
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(where.port, where.host, resolve));
    this.server = server;
    const { address, port } = server.address() as AddressInfo;
    this.url = `http://${address}:${port}/metrics`;
    this.log.log(`metrics at ${this.url}`);
  }

  async onApplicationShutdown(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
