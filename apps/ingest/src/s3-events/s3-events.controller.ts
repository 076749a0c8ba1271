import { BadRequestException, Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { S3EventError, parseS3Notification } from '@pneumoscreen/storage';
import { CapacityGuard } from '../capacity/ingest-capacity';
import { S3EventsTokenGuard } from '../auth/guards';
import { RecordObjectUseCase } from '../studies/record-object.use-case';
import type { RecordOutcome } from '../studies/record-outcome';

/** Event notifications from AWS S3 (direct, SNS, SQS, EventBridge), MinIO and Ceph RGW. */
@Controller('v1/s3-events')
@UseGuards(S3EventsTokenGuard)
export class S3EventsController {
  constructor(private readonly record: RecordObjectUseCase) {}

  @Post()
  @HttpCode(200)
  @UseGuards(CapacityGuard)
  async receive(@Body() body: unknown) {
    let parsed: ReturnType<typeof parseS3Notification>;
    try {
      parsed = parseS3Notification(body);
    } catch (e) {
      if (e instanceof S3EventError) throw new BadRequestException(`malformed S3 event: ${e.message}`);
      throw e;
    }
    const outcomes: Record<RecordOutcome, number> = { recorded: 0, duplicate: 0, ignored: 0, late: 0, manifest: 0 };
    for (const o of parsed.objects) outcomes[await this.record.execute(o)]++;
    return { testEvent: parsed.testEvent, records: parsed.objects.length, skipped: parsed.ignored, ...outcomes };
  }
}
