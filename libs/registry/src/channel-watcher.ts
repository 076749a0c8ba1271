import type { ChannelPointer } from '@pneumoscreen/contracts';
import type { ModelRegistry } from './model-registry';

export type ChannelSnapshot = Record<string, ChannelPointer | null>;

export interface ChannelWatcherOptions {
  channels: readonly string[];
  /** Re-read interval, the fallback for lost notices; 0: never. */
  pollMs: number;
  /** Subscribes to change notices (Redis pub/sub in the apps); each one triggers a re-read.
   * Resolves to the unsubscribe function. */
  subscribe?: (onNotice: () => void) => Promise<() => Promise<void>>;
  /** Runs after a re-read found a channel changed, before the next re-read starts. */
  onChange: (now: ChannelSnapshot, before: ChannelSnapshot) => void | Promise<void>;
  onError: (e: Error) => void;
}

/**
 * Keeps an up-to-date copy of some channel pointers. The channel objects in the registry are the
 * truth; notices only make a re-read happen sooner than the next poll. Re-reads never overlap, and
 * notices that arrive while one runs collapse into a single re-read after it.
 */
export class ChannelWatcher {
  private snapshot: ChannelSnapshot | null = null;
  private tail: Promise<unknown> = Promise.resolve();
  private queued: Promise<ChannelSnapshot> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => Promise<void>) | null = null;

  constructor(
    private readonly registry: Pick<ModelRegistry, 'getChannel'>,
    private readonly options: ChannelWatcherOptions,
  ) {}

  /** Subscribes and starts polling before the first read, so no change slips between them, and a
   * first read that fails is retried by the polls. */
  async start(): Promise<ChannelSnapshot> {
    this.unsubscribe = (await this.options.subscribe?.(() => this.refreshInBackground())) ?? null;
    if (this.options.pollMs > 0) {
      this.timer = setInterval(() => this.refreshInBackground(), this.options.pollMs);
      this.timer.unref();
    }
    return this.refresh();
  }

  get current(): ChannelSnapshot | null {
    return this.snapshot;
  }

  refresh(): Promise<ChannelSnapshot> {
    if (!this.queued) {
      const next = this.tail.then(() => {
        this.queued = null;
        return this.read();
      });
      this.queued = next;
      this.tail = next.catch(() => undefined);
    }
    return this.queued;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.unsubscribe?.();
    this.unsubscribe = null;
    await this.tail;
  }

  private refreshInBackground(): void {
    this.refresh().catch((e: Error) => this.options.onError(e));
  }

  private async read(): Promise<ChannelSnapshot> {
    const pointers = await Promise.all(this.options.channels.map((c) => this.registry.getChannel(c)));
    const now: ChannelSnapshot = Object.fromEntries(this.options.channels.map((c, i) => [c, pointers[i] ?? null]));
    const before = this.snapshot;
    this.snapshot = now;
    if (before && JSON.stringify(before) !== JSON.stringify(now)) await this.options.onChange(now, before);
    return now;
  }
}
