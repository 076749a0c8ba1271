import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import {
  callbackHostAllowed,
  deliverySecrets as signingSecrets,
  studyTenant,
  type AppConfig,
  type TenantConfig,
} from '@pneumoscreen/config';
import {
  pacsStatusKey,
  type ImageResult,
  type StudyDicomOutputs,
  type StudyJobData,
  type StudyResult,
  type StudyWebhookEvent,
} from '@pneumoscreen/contracts';
import type { ObjectStore } from '@pneumoscreen/storage';
import type { Clock, StudyRepository } from '@pneumoscreen/studies';
import { resolveEndpoints, type MessageIds } from '@pneumoscreen/webhooks';
import { CLOCK, CONFIG, OBJECT_STORE, STUDY_REPOSITORY } from '../tokens';
import { PACS_OUTBOX, type PacsOutbox } from './pacs-outbox';
import { SITE_CALIBRATIONS, type SiteCalibrations } from './site-calibrations';
import { STRUCTURED_REPORTS, type StructuredReports } from './structured-reports';
import { summariseStudy } from './summarise';
import type { WebhookOutbox } from './webhook-outbox';

export const WEBHOOK_OUTBOX = Symbol('WEBHOOK_OUTBOX');
export const MESSAGE_IDS = Symbol('MESSAGE_IDS');

/**
 * Runs when the last image of a study is done: decides its images at the threshold fitted for the
 * study's site (its bucket) when the version has one, writes `results/<studyId>.json` (and the DICOM
 * SR of a DICOM study beside it, whose push to the PACS it queues when one is configured), records
 * the outcome and queues a signed webhook for each endpoint of the study's tenant that wants it.
 * Safe to run twice: the result key and the study record derive from the study, its webhook id
 * is drawn once and stored, and each delivery's job id derives from that id.
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
    @Inject(MESSAGE_IDS) private readonly messageIds: MessageIds,
    @Optional() @Inject(STRUCTURED_REPORTS) private readonly reports: StructuredReports | null = null,
    @Optional() @Inject(PACS_OUTBOX) private readonly pacs: PacsOutbox | null = null,
  ) {}

  async execute(study: StudyJobData, images: ImageResult[]) {
    const version = study.modelVersion ?? images.find((i) => i.probability !== undefined)?.modelVersion;
    const calibration = version ? await this.calibrations.find(version, study.bucket) : null;
    const summary = summariseStudy(study, images, this.clock.now(), calibration);
    const type = summary.status === 'completed' ? 'study.completed' : 'study.failed';
    const keys = images.map((i) => i.key);
    const tenant = studyTenant(this.config.tenants, study.bucket, keys);
    const { urls, callbackRefused } = tenant
      ? resolveEndpoints({ type, study: { bucket: study.bucket, keys, callbackUrl: study.callbackUrl } }, routingOf(tenant))
      : { urls: [], callbackRefused: undefined };
    // Counted by ingest as they come; the result says how many came before it was written.
    const lateObjects = (await this.studies.get(study.studyId))?.lateObjects;
    const base = { ...summary, ...(callbackRefused ? { callbackRefused } : {}), ...(lateObjects ? { lateObjects } : {}) };
    const written = this.config.worker.dicomOutputs && this.reports ? await this.reports.write(base) : undefined;
    const dicom =
      written && this.config.pacs && this.pacs
        ? { ...written, pacs: { status: 'queued' as const, statusKey: pacsStatusKey(study.studyId) } }
        : written;
    const result = dicom ? { ...base, dicom } : base;
    await this.store.putObject(study.bucket, result.resultsKey, JSON.stringify(result, null, 2), 'application/json');
    if (dicom?.pacs) await this.queuePush(result, dicom);
    await this.studies.complete(
      study.studyId,
      result.status,
      result.resultsKey,
      {
        decision: result.decision,
        maxProbability: result.maxProbability,
        modelVersion: result.modelVersion,
        imageCount: images.length,
        errorCount: images.filter((i) => i.error).length,
      },
      this.clock.now(),
      tenant ? { tenantId: tenant.id, bucket: study.bucket } : undefined,
    );
    if (!tenant) {
      this.log.error(`study ${study.studyId}: its objects belong to no single tenant (TENANTS); no webhook is sent`);
    } else if (urls.length) {
      await this.enqueue(tenant, study, urls, { type, timestamp: result.completedAt, data: result });
    }
    const at = result.threshold === undefined ? '' : ` at threshold ${result.threshold.toFixed(4)} (${result.thresholdSource})`;
    this.log.log(`study ${study.studyId} ${result.status}: ${images.length} image(s), decision ${result.decision ?? 'none'}${at}`);
    return result;
  }

  /** The SR and every heatmap Secondary Capture, in one STOW-RS request. */
  private async queuePush(result: StudyResult, dicom: StudyDicomOutputs): Promise<void> {
    const captures = result.images.flatMap((i) => (i.dicom?.secondaryCapture ? [i.dicom.secondaryCapture.key] : []));
    const keys = [dicom.structuredReport.key, ...captures];
    await this.pacs!.enqueue(
      { studyId: result.studyId, bucket: result.bucket, keys, statusKey: dicom.pacs!.statusKey },
      result.completedAt,
    );
  }

  private async enqueue(tenant: TenantConfig, study: StudyJobData, urls: string[], event: StudyWebhookEvent): Promise<void> {
    const unsigned = urls.filter((url) => !signingSecrets(tenant, url).length);
    if (unsigned.length) {
      this.log.error(
        `study ${study.studyId}: ${unsigned.length} webhook(s) due but no secret is configured for them (WEBHOOK_SECRET or the tenant's secrets); unsigned webhooks are never sent`,
      );
    }
    const signed = urls.filter((url) => !unsigned.includes(url));
    if (!signed.length) return;
    const messageId = await this.messageIds.idFor(event.type, study.bucket, study.studyId);
    const body = JSON.stringify(event);
    for (const url of signed) await this.outbox.enqueue({ messageId, tenantId: tenant.id, url, body });
  }
}

function routingOf(tenant: TenantConfig) {
  return {
    endpoints: tenant.endpoints,
    defaultUrl: tenant.fallback?.url,
    callbackAllowed: (url: string) => callbackHostAllowed(tenant, url),
  };
}
