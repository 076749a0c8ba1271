import type { RedisClient } from '@pneumoscreen/queue';
import { DisabledEndpoint } from '@pneumoscreen/contracts';
import { endpointKey } from './endpoints';

/** Which endpoints asked (with 410) to receive nothing more, shared by every worker. */
export interface EndpointStatus {
  disabled(url: string): Promise<DisabledEndpoint | null>;
  /** Keeps the first record when the endpoint is already disabled. */
  disable(record: DisabledEndpoint): Promise<void>;
  /** What the endpoint was disabled for, or null when it was not disabled. */
  enable(url: string): Promise<DisabledEndpoint | null>;
  listDisabled(): Promise<DisabledEndpoint[]>;
}

/** One hash, field per endpoint URL: a lookup per delivery is one HGET. */
export class RedisEndpointStatus implements EndpointStatus {
  private readonly key: string;

  constructor(
    private readonly redis: RedisClient,
    prefix: string,
  ) {
    this.key = `${prefix}:webhook-endpoints:disabled`;
  }

  async disabled(url: string): Promise<DisabledEndpoint | null> {
    const raw = await this.redis.hget(this.key, endpointKey(url));
    return raw === null ? null : DisabledEndpoint.parse(JSON.parse(raw));
  }

  async disable(record: DisabledEndpoint): Promise<void> {
    const url = endpointKey(record.url);
    await this.redis.hsetnx(this.key, url, JSON.stringify({ ...record, url }));
  }

  async enable(url: string): Promise<DisabledEndpoint | null> {
    const field = endpointKey(url);
    // Read and delete in one transaction, so two operators cannot both report the same record.
    const replies = await this.redis.multi().hget(this.key, field).hdel(this.key, field).exec();
    const [err, raw] = replies?.[0] ?? [null, null];
    if (err) throw err;
    return typeof raw === 'string' ? DisabledEndpoint.parse(JSON.parse(raw)) : null;
  }

  async listDisabled(): Promise<DisabledEndpoint[]> {
    const all = await this.redis.hvals(this.key);
    return all.map((raw) => DisabledEndpoint.parse(JSON.parse(raw))).sort((a, b) => a.since.localeCompare(b.since));
  }
}
