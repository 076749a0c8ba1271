import { Inject, Injectable, Logger } from '@nestjs/common';
import type { AppConfig } from '@pneumoscreen/config';
import { StudyId, StudyManifest } from '@pneumoscreen/contracts';
import type { ObjectStore } from '@pneumoscreen/storage';
import type { Clock, StudyRepository } from '@pneumoscreen/studies';
import { CLOCK, CONFIG, OBJECT_STORE, STUDY_REPOSITORY } from '../tokens';
import { SubmitStudyUseCase } from './submit-study.use-case';

export interface ObjectSeen {
  bucket: string;
  key: string;
  etag?: string;
  versionId?: string;
  size?: number;
}

export type RecordOutcome = 'recorded' | 'duplicate' | 'ignored' | 'late' | 'manifest';

const MANIFEST = 'manifest.json';
const MAX_MANIFEST_BYTES = 64 * 1024;

/**
 * One object appeared in the bucket (from an S3 event or the reconciler's listing). Objects under
 * `<incoming>/<studyId>/` join that study; its `manifest.json` carries options and marks it ready.
 */
@Injectable()
export class RecordObjectUseCase {
  private readonly log = new Logger(RecordObjectUseCase.name);

  constructor(
    @Inject(CONFIG) private readonly config: AppConfig,
    @Inject(OBJECT_STORE) private readonly store: ObjectStore,
    @Inject(STUDY_REPOSITORY) private readonly studies: StudyRepository,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly submit: SubmitStudyUseCase,
  ) {}

  async execute(o: ObjectSeen): Promise<RecordOutcome> {
    const where = this.locate(o);
    if (!where) return 'ignored';
    const { studyId, name } = where;
    let etag = o.etag;
    if (!etag) {
      // Some stores omit the ETag from events; the object itself is the authority.
      const head = await this.store.headObject(o.bucket, o.key);
      if (!head) return 'ignored';
      etag = head.etag;
    }
    if (name === MANIFEST) {
      const known = await this.studies.get(studyId);
      if (known && known.status !== 'collecting') return 'duplicate';
      await this.applyManifest(studyId, o.bucket, o.key);
      await this.submit.execute(studyId);
      return 'manifest';
    }
    const r = await this.studies.recordObject(studyId, o.bucket, { key: o.key, etag, versionId: o.versionId, size: o.size }, this.clock.now());
    if (!r.isNew) return 'duplicate';
    if (r.status !== 'collecting') {
      this.log.warn(`study ${studyId}: an object arrived after the study was queued; it is not classified`);
      return 'late';
    }
    return 'recorded';
  }

  private locate(o: ObjectSeen): { studyId: string; name: string } | null {
    const prefix = this.config.s3.incomingPrefix;
    if (o.bucket !== this.config.s3.bucket || !o.key.startsWith(prefix) || o.key.endsWith('/')) return null;
    const rest = o.key.slice(prefix.length);
    const slash = rest.indexOf('/');
    if (slash <= 0) return null;
    const studyId = rest.slice(0, slash);
    if (!StudyId.safeParse(studyId).success) {
      this.log.warn(`ignoring an object whose study folder is not a valid study id`);
      return null;
    }
    return { studyId, name: rest.slice(slash + 1) };
  }

  private async applyManifest(studyId: string, bucket: string, key: string): Promise<void> {
    // The manifest may arrive before any image; make sure the study exists either way.
    await this.studies.ensureStudy(studyId, bucket, this.clock.now());
    try {
      const { body } = await this.store.getObject(bucket, key, { maxBytes: MAX_MANIFEST_BYTES });
      const parsed = StudyManifest.safeParse(JSON.parse(body.toString('utf8')));
      if (!parsed.success) throw new Error(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
      await this.studies.setOptions(studyId, { callbackUrl: parsed.data.callbackUrl, externalRef: parsed.data.externalRef });
    } catch (e) {
      // A broken manifest must not hold the images hostage: the study runs with default options.
      this.log.warn(`study ${studyId}: manifest.json ignored (${(e as Error).message})`);
    }
  }
}
