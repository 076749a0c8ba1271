import { spawn, type ChildProcess } from 'node:child_process';
import {
  freePort,
  redisAnswers,
  startS3Server,
  startWebhookReceiver,
  type ReceivedWebhook,
  type S3Server,
  type WebhookReceiver,
  type WebhookReceiverOptions,
} from '@pneumoscreen/testing';

/**
 * The services the suite takes away and brings back: each restarts where it was (same port, same
 * data), as a real Redis, store or customer endpoint does after a crash or a deploy.
 */
export class RestartableRedis {
  private child?: ChildProcess;
  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  static async start(dir: string): Promise<RestartableRedis> {
    const r = new RestartableRedis(await freePort(), dir);
    await r.start();
    return r;
  }

  get url() {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Keeps its writes in an append-only file fsynced every second, as production Redis for
   * BullMQ is run: a crash loses at most about the last second. */
  async start(): Promise<void> {
    const args = [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--dir',
      this.dir,
      '--save',
      '',
      '--appendonly',
      'yes',
      '--appendfsync',
      'everysec',
      '--maxmemory-policy',
      'noeviction',
    ];
    const child = spawn('redis-server', args, { stdio: 'ignore' });
    this.child = child;
    const deadline = Date.now() + 10_000;
    while (!(await redisAnswers(this.url, 200))) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error('redis-server did not answer within 10 s');
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** SIGKILL: a crash, not a shutdown; whatever was not yet fsynced is gone. */
  stop(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    return new Promise((resolve) => {
      if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  }
}

export class RestartableS3 {
  private constructor(
    private server: S3Server,
    readonly directory: string,
  ) {}

  static async start(directory: string): Promise<RestartableS3> {
    return new RestartableS3(await startS3Server({ directory }), directory);
  }

  get endpoint() {
    return this.server.endpoint;
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  async start(): Promise<void> {
    this.server = await startS3Server({ directory: this.directory, port: this.server.port });
  }
}

/** Every request any incarnation of the receiver saw, in order. */
export class RestartableReceiver {
  readonly requests: ReceivedWebhook[] = [];
  private seen = 0;
  private constructor(
    private receiver: WebhookReceiver,
    private readonly options: WebhookReceiverOptions,
    readonly port: number,
  ) {}

  static async start(options: WebhookReceiverOptions): Promise<RestartableReceiver> {
    const receiver = await startWebhookReceiver(options);
    return new RestartableReceiver(receiver, options, Number(new URL(receiver.url).port));
  }

  /** The base URL; tenants' endpoints are paths under it. */
  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  private collect() {
    this.requests.push(...this.receiver.requests.slice(this.seen));
    this.seen = this.receiver.requests.length;
  }

  async stop(): Promise<void> {
    this.collect();
    await this.receiver.close();
  }

  async start(): Promise<void> {
    this.receiver = await startWebhookReceiver({ ...this.options, port: this.port });
    this.seen = 0;
  }

  /** Resolves once `predicate` holds for every request seen so far. */
  async waitFor(predicate: (rs: readonly ReceivedWebhook[]) => boolean, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      this.collect();
      if (predicate(this.requests)) return;
      if (Date.now() > deadline)
        throw new Error(`webhook receiver: condition not met within ${timeoutMs} ms (${this.requests.length} request(s))`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  all(): readonly ReceivedWebhook[] {
    this.collect();
    return this.requests;
  }
}
