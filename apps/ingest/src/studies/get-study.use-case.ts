import { Inject, Injectable } from '@nestjs/common';
import { ownsStudy, studyIdIn, type TenantConfig } from '@pneumoscreen/config';
import { StudyResult } from '@pneumoscreen/contracts';
import type { ObjectStore } from '@pneumoscreen/storage';
import type { StudyRecord, StudyRepository } from '@pneumoscreen/studies';
import { OBJECT_STORE, STUDY_REPOSITORY } from '../tokens';

export interface StudyView {
  studyId: string;
  status: StudyRecord['status'];
  createdAt: string;
  submittedAt?: string;
  completedAt?: string;
  externalRef?: string;
  /** Objects recorded after the study was queued (uploaded late, or overwritten): not in `result`;
   * send them as a new study. */
  lateObjects?: number;
  result?: StudyResult;
}

/** `GET /v1/studies/:id`: the status, and once finished the full result from S3; null (404) for a
 * study that is not the calling tenant's, exactly as for one that does not exist. */
@Injectable()
export class GetStudyUseCase {
  constructor(
    @Inject(STUDY_REPOSITORY) private readonly studies: Pick<StudyRepository, 'get' | 'objects'>,
    @Inject(OBJECT_STORE) private readonly store: ObjectStore,
  ) {}

  /** `id` as the tenant names it, bare or already in its id space (`<tenant>.<name>`). */
  async execute(id: string, tenant: TenantConfig): Promise<StudyView | null> {
    const studyId = studyIdIn(tenant, id);
    const s = await this.studies.get(studyId);
    if (!s) return null;
    const keys = (await this.studies.objects(studyId)).map((o) => o.key);
    if (!ownsStudy(tenant, s.bucket, keys)) return null;
    const view: StudyView = {
      studyId,
      status: s.status,
      createdAt: s.createdAt,
      submittedAt: s.submittedAt,
      completedAt: s.completedAt,
      externalRef: s.externalRef,
      ...(s.lateObjects ? { lateObjects: s.lateObjects } : {}),
    };
    if (s.resultsKey) {
      const { body } = await this.store.getObject(s.bucket, s.resultsKey, { maxBytes: 64 * 1024 * 1024 });
      view.result = StudyResult.parse(JSON.parse(body.toString('utf8')));
    }
    return view;
  }
}
