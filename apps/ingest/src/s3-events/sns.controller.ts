import {
  BadRequestException,
  Body,
  Controller,
  ForbiddenException,
  HttpCode,
  Inject,
  Logger,
  NotFoundException,
  Post,
} from '@nestjs/common';
import type { AppConfig } from '@pneumoscreen/config';
import { S3EventError, SnsMessageError, SnsVerifier, assertSnsUrl, parseS3Notification, type SnsTransport } from '@pneumoscreen/storage';
import { RecordObjectUseCase } from '../studies/record-object.use-case';
import type { RecordOutcome } from '../studies/record-outcome';
import { CONFIG, SNS_TRANSPORT } from '../tokens';

/**
 * An SNS HTTPS subscription: SNS posts `text/plain` JSON and can send no bearer token, so what
 * vouches for a message is its signature, checked against a certificate from an SNS host, and
 * its topic, which must be one of `SNS_TOPIC_ARNS` (anyone can sign messages of a topic of
 * their own). A subscription confirmation is answered by visiting its SubscribeURL, on an SNS
 * host too.
 */
@Controller('v1/s3-events/sns')
export class SnsController {
  private readonly log = new Logger(SnsController.name);
  private readonly verifier: SnsVerifier;

  constructor(
    @Inject(CONFIG) private readonly config: AppConfig,
    @Inject(SNS_TRANSPORT) private readonly transport: SnsTransport,
    private readonly record: RecordObjectUseCase,
  ) {
    this.verifier = new SnsVerifier(transport);
  }

  @Post()
  @HttpCode(200)
  async receive(@Body() body: unknown) {
    const topics = this.config.ingest.snsTopicArns;
    if (!topics.length) throw new NotFoundException('SNS delivery is off: set SNS_TOPIC_ARNS to the topics that may send');
    let m;
    try {
      m = await this.verifier.verify(body);
    } catch (e) {
      if (e instanceof SnsMessageError) throw new ForbiddenException(`SNS message refused: ${e.message}`);
      throw e;
    }
    if (!topics.includes(m.TopicArn)) throw new ForbiddenException(`SNS message refused: topic ${m.TopicArn} is not in SNS_TOPIC_ARNS`);
    if (m.Type === 'SubscriptionConfirmation') {
      let url: URL;
      try {
        url = assertSnsUrl(m.SubscribeURL, 'SubscribeURL');
      } catch (e) {
        throw new ForbiddenException(`SNS message refused: ${(e as Error).message}`);
      }
      await this.transport.confirmSubscription(url.href);
      this.log.log(`subscription to ${m.TopicArn} confirmed`);
      return { type: m.Type, confirmed: true };
    }
    if (m.Type === 'UnsubscribeConfirmation') {
      this.log.warn(`unsubscribed from ${m.TopicArn}; S3 events of that topic now reach ingest only through the reconciler`);
      return { type: m.Type };
    }
    let parsed: ReturnType<typeof parseS3Notification>;
    try {
      parsed = parseS3Notification(m.Message);
    } catch (e) {
      if (e instanceof S3EventError) throw new BadRequestException(`malformed S3 event in the SNS message: ${e.message}`);
      throw e;
    }
    const outcomes: Record<RecordOutcome, number> = { recorded: 0, duplicate: 0, ignored: 0, late: 0, manifest: 0 };
    for (const o of parsed.objects) outcomes[await this.record.execute(o)]++;
    return { type: m.Type, testEvent: parsed.testEvent, records: parsed.objects.length, skipped: parsed.ignored, ...outcomes };
  }
}
