import { Controller, Get, Inject, ServiceUnavailableException } from '@nestjs/common';
import type { RedisClient } from '@pneumoscreen/queue';
import { REDIS } from '../tokens';

@Controller('health')
export class HealthController {
  constructor(@Inject(REDIS) private readonly redis: RedisClient) {}

  @Get()
  async check() {
    try {
      await this.redis.ping();
    } catch {
      throw new ServiceUnavailableException('redis unreachable');
    }
    return { status: 'ok' };
  }
}
