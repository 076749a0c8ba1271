import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { defaultBucket, inTenantBucket, ownsStudy, studyIdIn, type AppConfig, type TenantConfig } from '@pneumoscreen/config';
import {
  ConflictError,
  NotFoundError,
  StudyResult,
  UnusableError,
  resultsKey,
  type FeedbackAccepted,
  type FeedbackJobData,
  type FeedbackRequest,
  type LabelledImageRef,
} from '@pneumoscreen/contracts';
import { ObjectNotFoundError, type ObjectStore } from '@pneumoscreen/storage';
import type { Clock, StudyRepository } from '@pneumoscreen/studies';
import { CLOCK, CONFIG, FEEDBACK_QUEUE, FEEDBACK_STORE, LABELLED_IMAGES, OBJECT_STORE, STUDY_REPOSITORY } from '../tokens';
import type { FeedbackQueue } from './feedback-queue';
import type { LabelledImages } from './labelled-images';

const RESULT_MAX_BYTES = 64 * 1024 * 1024;

/** Where readers' comments go: beside the records in S3, never into Redis. */
export interface CommentStore {
  putComment(feedbackId: string, comment: string): Promise<string>;
}

/**
 * `POST /v1/feedback`: checks a reader's label against the study's result, so that only images
 * the model actually judged (key and ETag as classified) become training data, then queues it for
 * the trainer to store. Refuses rather than drops what it cannot use.
 */
@Injectable()
export class SubmitFeedbackUseCase {
  private readonly log = new Logger(SubmitFeedbackUseCase.name);

  constructor(
    @Inject(CONFIG) private readonly config: AppConfig,
    @Inject(OBJECT_STORE) private readonly store: ObjectStore,
    @Inject(STUDY_REPOSITORY) private readonly studies: Pick<StudyRepository, 'get' | 'objects'>,
    @Inject(FEEDBACK_STORE) private readonly comments: CommentStore,
    @Inject(FEEDBACK_QUEUE) private readonly queue: FeedbackQueue,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LABELLED_IMAGES) private readonly labelled: LabelledImages,
  ) {}

  async execute(request: FeedbackRequest, tenant: TenantConfig): Promise<FeedbackAccepted> {
    // Studies are named in the tenant's own id space, as the studies API names them.
    const req = { ...request, studyId: studyIdIn(tenant, request.studyId) };
    const bucket = req.bucket ?? defaultBucket(tenant, this.config.s3.bucket);
    // Another tenant's study is answered as one that does not exist, before anything is read.
    const notTheirs = () => new NotFoundError(`no completed study ${req.studyId} in bucket ${bucket}`);
    if (!inTenantBucket(tenant, bucket)) throw notTheirs();
    const result = await this.result(req.studyId, bucket, tenant);
    if (
      !ownsStudy(
        tenant,
        bucket,
        result.images.map((i) => i.key),
      )
    )
      throw notTheirs();
    const images = req.key === undefined ? studyImages(result) : [oneImage(result, req.key)];
    const feedbackId = randomUUID();
    // Stored first, so a record never points at a comment that is not there.
    const commentKey = req.comment ? await this.comments.putComment(feedbackId, req.comment) : undefined;
    const job: FeedbackJobData = {
      feedbackId,
      studyId: req.studyId,
      bucket,
      scope: req.key === undefined ? 'study' : 'image',
      images,
      label: req.label,
      readerId: req.readerId,
      receivedAt: this.clock.now().toISOString(),
      ...(commentKey ? { commentKey } : {}),
    };
    await this.queue.enqueue(job);
    // The label is queued, which is what counts; the review page's hint can be missing.
    await this.labelled
      .note(job)
      .catch((e: Error) => this.log.warn(`study ${req.studyId}: label queued, not marked for the review worklist: ${e.message}`));
    return { feedbackId, studyId: req.studyId, images: images.length };
  }

  private async result(studyId: string, bucket: string, tenant: TenantConfig): Promise<StudyResult> {
    const key = resultsKey(studyId);
    let body: Buffer;
    try {
      body = (await this.store.getObject(bucket, key, { maxBytes: RESULT_MAX_BYTES })).body;
    } catch (e) {
      if (e instanceof ObjectNotFoundError) throw await this.notFinished(studyId, bucket, tenant);
      if (e instanceof Error && e.name === 'NoSuchBucket') throw new NotFoundError(`no bucket ${bucket}`);
      throw e;
    }
    let parsed;
    try {
      parsed = StudyResult.safeParse(JSON.parse(body.toString('utf8')));
    } catch {
      throw new Error(`s3://${bucket}/${key} is not JSON`);
    }
    if (!parsed.success || parsed.data.studyId !== studyId) {
      throw new Error(`s3://${bucket}/${key} is not the result of study ${studyId}`);
    }
    return parsed.data;
  }

  private async notFinished(studyId: string, bucket: string, tenant: TenantConfig): Promise<NotFoundError | ConflictError> {
    const study = await this.studies.get(studyId);
    const pending = study && study.bucket === bucket && (study.status === 'collecting' || study.status === 'queued');
    if (
      pending &&
      ownsStudy(
        tenant,
        bucket,
        (await this.studies.objects(studyId)).map((o) => o.key),
      )
    ) {
      return new ConflictError(`study ${studyId} is not completed yet (${study.status}); label it once its result is in`);
    }
    return new NotFoundError(`no completed study ${studyId} in bucket ${bucket}`);
  }
}

function oneImage(result: StudyResult, key: string): LabelledImageRef {
  const image = result.images.find((i) => i.key === key);
  if (!image) throw new NotFoundError(`${key} is not an image of study ${result.studyId}`);
  if (image.probability === undefined) {
    throw new UnusableError(
      `${key} could not be read when study ${result.studyId} was classified, so a label for it cannot be used for training`,
    );
  }
  return labelled(result, image);
}

/** A study's label is every readable image's: the unreadable ones were never judged. */
function studyImages(result: StudyResult): LabelledImageRef[] {
  const judged = result.images.filter((i) => i.probability !== undefined);
  if (!judged.length) {
    throw new UnusableError(`no image of study ${result.studyId} could be read, so a label for it cannot be used for training`);
  }
  return judged.map((i) => labelled(result, i));
}

function labelled(result: StudyResult, image: StudyResult['images'][number]): LabelledImageRef {
  const modelVersion = image.modelVersion ?? result.modelVersion;
  return {
    key: image.key,
    etag: image.etag,
    ...(modelVersion === undefined ? {} : { modelVersion }),
    ...(image.probability === undefined ? {} : { probability: image.probability }),
  };
}
