import { Inject, Injectable } from '@nestjs/common';
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
  result?: StudyResult;
}

/** `GET /v1/studies/:id`: the status, and once finished the full result from S3. */
@Injectable()
export class GetStudyUseCase {
  constructor(
    @Inject(STUDY_REPOSITORY) private readonly studies: StudyRepository,
    @Inject(OBJECT_STORE) private readonly store: ObjectStore,
  ) {}

  async execute(studyId: string): Promise<StudyView | null> {
    const s = await this.studies.get(studyId);
    if (!s) return null;
    const view: StudyView = {
      studyId,
      status: s.status,
      createdAt: s.createdAt,
      submittedAt: s.submittedAt,
      completedAt: s.completedAt,
      externalRef: s.externalRef,
    };
    if (s.resultsKey) {
      const { body } = await this.store.getObject(s.bucket, s.resultsKey, { maxBytes: 64 * 1024 * 1024 });
      view.result = StudyResult.parse(JSON.parse(body.toString('utf8')));
    }
    return view;
  }
}
