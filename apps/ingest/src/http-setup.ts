import type { NestExpressApplication } from '@nestjs/platform-express';
import { reviewHeaders } from './review/review-page';

/** Body parsing and headers every ingest server has, tests' included. */
export function configureHttp(app: NestExpressApplication): void {
  // S3 event batches can hold many records; the default 100 kB is too small for them.
  app.useBodyParser('json', { limit: '5mb' });
  // SNS posts its JSON as text/plain; the SNS route parses it after checking the signature.
  app.useBodyParser('text', { type: 'text/plain', limit: '5mb' });
  // Nothing outside needs to know what serves this endpoint.
  app.disable('x-powered-by');
  app.use('/review', reviewHeaders);
}
