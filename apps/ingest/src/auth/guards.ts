import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { AppConfig } from '@pneumoscreen/config';
import { CONFIG } from '../tokens';
import { BearerTokenGuard } from './bearer-token.guard';

/** The S3 event-notification endpoint: `S3_EVENTS_TOKEN`. */
@Injectable()
export class S3EventsTokenGuard implements CanActivate {
  private readonly guard: BearerTokenGuard;
  constructor(@Inject(CONFIG) config: AppConfig) {
    this.guard = new BearerTokenGuard(required(config.ingest.s3EventsToken, 'S3_EVENTS_TOKEN'));
  }
  canActivate(ctx: ExecutionContext) {
    return this.guard.canActivate(ctx);
  }
}

function required(value: string | undefined, name: string): string {
  if (!value) throw new Error(`${name} must be set for ingest to accept authenticated requests`);
  return value;
}
