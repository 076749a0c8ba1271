import { type CanActivate, Inject, Injectable } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { Cluster } from 'ioredis';
import { UnavailableError } from '@pneumoscreen/contracts';
import type { RedisClient } from '@pneumoscreen/queue';

export interface CapacityLimits {
  /** Image jobs waiting (or delayed for a retry) past which new work is refused; 0: no limit. */
  maxQueuedImages: number;
  /** Share of Redis's `maxmemory` past which new work is refused (no limit without maxmemory). */
  maxRedisMemoryFraction: number;
}

/** Ingest cannot hold more work now; the caller should send it again after `retryAfterS`. */
export class OverCapacityError extends UnavailableError {}

const RETRY_AFTER_S = 30;
/** A request costs at most one look at Redis per second, however many arrive. */
const CHECK_EVERY_MS = 1_000;

/**
 * Back-pressure: refuses new objects and studies while the image queue or Redis memory is past
 * its limit, so ingest answers 503 with Retry-After (S3 event senders and API clients retry, the
 * reconciler finds the objects later) instead of taking work until Redis stops accepting writes.
 */
export class IngestCapacity {
  private checkedAt = -Infinity;
  private last: OverCapacityError | null = null;

  constructor(
    private readonly redis: RedisClient,
    private readonly imageQueue: Pick<Queue, 'getJobCounts'>,
    private readonly limits: CapacityLimits,
    private readonly now: () => number = Date.now,
  ) {}

  /** Throws OverCapacityError while past a limit. */
  async check(): Promise<void> {
    if (this.now() - this.checkedAt >= CHECK_EVERY_MS) {
      this.last = await this.measure();
      this.checkedAt = this.now();
    }
    if (this.last) throw this.last;
  }

  private async measure(): Promise<OverCapacityError | null> {
    const { maxQueuedImages, maxRedisMemoryFraction } = this.limits;
    if (maxQueuedImages > 0) {
      const counts = await this.imageQueue.getJobCounts('waiting', 'delayed', 'prioritized', 'paused');
      const queued = Object.values(counts).reduce((a, b) => a + b, 0);
      if (queued >= maxQueuedImages)
        return new OverCapacityError(
          `${queued} images are waiting to be classified (INGEST_MAX_QUEUED_IMAGES=${maxQueuedImages}); send this again later`,
          RETRY_AFTER_S,
        );
    }
    // On a cluster the deployment's slot may be on any master: the fullest one counts.
    const servers = this.redis instanceof Cluster ? this.redis.nodes('master') : [this.redis];
    for (const server of servers) {
      const info = await server.info('memory');
      const used = Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? 0);
      const max = Number(/^maxmemory:(\d+)/m.exec(info)?.[1] ?? 0);
      if (max > 0 && used >= max * maxRedisMemoryFraction) {
        return new OverCapacityError(
          `the job store (Redis) is ${Math.round((100 * used) / max)}% full (INGEST_MAX_REDIS_MEMORY_FRACTION=${maxRedisMemoryFraction}); send this again later`,
          RETRY_AFTER_S,
        );
      }
    }
    return null;
  }
}

export const INGEST_CAPACITY = Symbol('INGEST_CAPACITY');

/** Put on the routes that take new work (S3 events, study submissions). */
@Injectable()
export class CapacityGuard implements CanActivate {
  constructor(@Inject(INGEST_CAPACITY) private readonly capacity: IngestCapacity) {}

  async canActivate(): Promise<boolean> {
    await this.capacity.check();
    return true;
  }
}
