import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { defaultBucket, studyIdIn, tenantOwns, type AppConfig, type TenantConfig } from '@pneumoscreen/config';
import { ConflictError, InvalidRequestError, NotFoundError, StudyId, type SubmitStudyRequest } from '@pneumoscreen/contracts';
import type { ObjectStore } from '@pneumoscreen/storage';
import type { Clock, StudyRepository } from '@pneumoscreen/studies';
import { CLOCK, CONFIG, OBJECT_STORE, STUDY_REPOSITORY } from '../tokens';
import { SubmitStudyUseCase } from './submit-study.use-case';

/** `POST /v1/studies`: a study named by bucket and keys rather than by a folder, all of them in
 * the calling tenant's buckets and prefixes: another tenant's objects read as missing. */
@Injectable()
export class SubmitKeysUseCase {
  constructor(
    @Inject(CONFIG) private readonly config: AppConfig,
    @Inject(OBJECT_STORE) private readonly store: ObjectStore,
    @Inject(STUDY_REPOSITORY) private readonly studies: StudyRepository,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly submit: SubmitStudyUseCase,
  ) {}

  async execute(req: SubmitStudyRequest, tenant: TenantConfig): Promise<{ studyId: string; images: number }> {
    // In the tenant's own id space: an id another tenant uses is simply free here.
    const studyId = studyIdIn(tenant, req.studyId ?? randomUUID());
    if (!StudyId.safeParse(studyId).success)
      throw new InvalidRequestError(`studyId: with the tenant's name in front (${tenant.id}.), it is longer than 128 characters`);
    const bucket = req.bucket ?? defaultBucket(tenant, this.config.s3.bucket);
    if (await this.studies.get(studyId)) throw new ConflictError(`study ${studyId} already exists`);
    const keys = [...new Set(req.keys)];
    // Not even looked up: whether another tenant's object exists is none of the caller's business.
    const heads = await Promise.all(
      keys.map(async (key) => ({ key, head: tenantOwns(tenant, bucket, [key]) ? await this.store.headObject(bucket, key) : null })),
    );
    const missing = heads.filter((h) => !h.head).map((h) => h.key);
    if (missing.length) {
      throw new NotFoundError(`${missing.length} key(s) not found in bucket ${bucket}: ${missing.slice(0, 5).join(', ')}`);
    }
    const at = this.clock.now();
    await this.studies.ensureStudy(studyId, bucket, at);
    await this.studies.setOptions(studyId, { callbackUrl: req.callbackUrl, externalRef: req.externalRef });
    for (const { key, head } of heads) {
      await this.studies.recordObject(studyId, bucket, { key, etag: head!.etag, versionId: head!.versionId, size: head!.size }, at);
    }
    await this.submit.execute(studyId);
    return { studyId, images: keys.length };
  }
}
