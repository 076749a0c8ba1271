import { Inject, Injectable, Logger } from '@nestjs/common';
import type { AppConfig } from '@pneumoscreen/config';
import { webhookMessageId, type ImageResult, type StudyJobData, type StudyWebhookEvent } from '@pneumoscreen/contracts';
import type { ObjectStore } from '@pneumoscreen/storage';
import type { Clock, StudyRepository } from '@pneumoscreen/studies';
import { resolveEndpoints } from '@pneumoscreen/webhooks';
import { CLOCK, CONFIG, OBJECT_STORE, STUDY_REPOSITORY } from '../tokens';
import { SITE_CALIBRATIONS, type SiteCalibrations } from './site-calibrations';
import { summariseStudy } from './summarise';
import type { WebhookOutbox } from './webhook-outbox';

export const WEBHOOK_OUTBOX = Symbol('WEBHOOK_OUTBOX');

/**
 * Runs when the last image of a study is done: decides its images at the threshold fitted for the
 * study's site (its bucket) when the version has one, writes `results/<studyId>.json`, records the
 * outcome and queues a signed webhook for each endpoint that wants it. Safe to run twice: the
 * result key, the study record, the webhook id and each delivery's job id derive from the study.
 */
@Injectable()
export class FinaliseStudyUseCase {
  private readonly log = new Logger(FinaliseStudyUseCase.name);

  constructor(
    @Inject(CONFIG) private readonly config: AppConfig,
    @Inject(OBJECT_STORE) private readonly store: ObjectStore,
    @Inject(STUDY_REPOSITORY) private readonly studies: StudyRepository,
    @Inject(WEBHOOK_OUTBOX) private readonly outbox: WebhookOutbox,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(SITE_CALIBRATIONS) private readonly calibrations: SiteCalibrations,
  ) {}

  async execute(study: StudyJobData, images: ImageResult[]) {
    const version = study.modelVersion ?? images.find((i) => i.probability !== undefined)?.modelVersion;
    const calibration = version ? await this.calibrations.find(version, study.bucket) : null;
    const result = summariseStudy(study, images, this.clock.now(), calibration);
    await this.store.putObject(study.bucket, result.resultsKey, JSON.stringify(result, null, 2), 'application/json');
    await this.studies.complete(study.studyId, result.status, result.resultsKey, {
      decision: result.decision,
      maxProbability: result.maxProbability,
      modelVersion: result.modelVersion,
      imageCount: images.length,
      errorCount: images.filter((i) => i.error).length,
    }, this.clock.now());
    const type = result.status === 'completed' ? 'study.completed' : 'study.failed';
    const urls = resolveEndpoints(
      { type, study: { bucket: study.bucket, keys: images.map((i) => i.key), callbackUrl: study.callbackUrl } },
      this.config.webhooks,
    );
    if (urls.length && this.config.webhooks.secrets.length === 0) {
      this.log.error(`study ${study.studyId}: a webhook is due but WEBHOOK_SECRET is not set; unsigned webhooks are never sent`);
    } else if (urls.length) {
      const event: StudyWebhookEvent = { type, timestamp: result.completedAt, data: result };
      const messageId = webhookMessageId(type, `${study.bucket}/${study.studyId}`);
      for (const url of urls) await this.outbox.enqueue({ messageId, url, body: JSON.stringify(event) });
    }
    const at = result.threshold === undefined ? '' : ` at threshold ${result.threshold.toFixed(4)} (${result.thresholdSource})`;
    this.log.log(`study ${study.studyId} ${result.status}: ${images.length} image(s), decision ${result.decision ?? 'none'}${at}`);
    return result;
  }
}
