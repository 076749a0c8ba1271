import { Inject, Injectable, Logger } from '@nestjs/common';
import { StudyManifest } from '@pneumoscreen/contracts';
import { ObjectNotFoundError, ObjectTooLargeError, type ObjectStore } from '@pneumoscreen/storage';
import type { StudyOptions, StudyRepository } from '@pneumoscreen/studies';
import { OBJECT_STORE, STUDY_REPOSITORY } from '../tokens';
import { SubmitStudyUseCase } from './submit-study.use-case';

const MAX_MANIFEST_BYTES = 64 * 1024;

/**
 * `incoming/<folder>/manifest.json` landed: its options go to every study the folder's objects
 * joined (the folder's own, and those grouped by StudyInstanceUID), and each is queued. The
 * manifest is read once per folder; seen again (a duplicate event, each reconciler pass), it only
 * queues what is still collecting, such as studies whose objects were recorded after it.
 */
@Injectable()
export class ReadyFolderUseCase {
  private readonly log = new Logger(ReadyFolderUseCase.name);

  constructor(
    @Inject(OBJECT_STORE) private readonly store: ObjectStore,
    @Inject(STUDY_REPOSITORY) private readonly studies: StudyRepository,
    private readonly submit: SubmitStudyUseCase,
  ) {}

  /** Returns whether this call read the manifest or queued a study. */
  async execute(bucket: string, folder: string, key: string): Promise<boolean> {
    const known = await this.studies.folderManifest(bucket, folder);
    const { options, studies } = await this.studies.recordFolderManifest(bucket, folder, known ?? (await this.read(bucket, folder, key)));
    if (!known && studies.length === 0) {
      this.log.warn(
        `folder ${folder}: manifest.json arrived before any image; its studies wait for the quiet period (upload the manifest last)`,
      );
    }
    let queued = 0;
    for (const studyId of studies) {
      if ((await this.studies.get(studyId))?.status !== 'collecting') continue;
      await this.studies.setOptions(studyId, options);
      if (await this.submit.execute(studyId)) queued++;
    }
    return !known || queued > 0;
  }

  private async read(bucket: string, folder: string, key: string): Promise<StudyOptions> {
    let body: Buffer;
    try {
      body = (await this.store.getObject(bucket, key, { maxBytes: MAX_MANIFEST_BYTES })).body;
    } catch (e) {
      // Anything else (the store unreachable) must fail this call, to be retried, rather than
      // settle the folder's options for good.
      if (!(e instanceof ObjectNotFoundError || e instanceof ObjectTooLargeError)) throw e;
      return this.ignored(
        folder,
        e instanceof ObjectTooLargeError ? `larger than ${MAX_MANIFEST_BYTES / 1024} KiB` : 'no longer in the bucket',
      );
    }
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch {
      // V8's message quotes the text around the fault, and a manifest may hold what a person typed.
      return this.ignored(folder, 'not valid JSON');
    }
    // zod's messages for these fields name the rule broken, never the value.
    const parsed = StudyManifest.safeParse(json);
    if (!parsed.success)
      return this.ignored(folder, parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '));
    return { callbackUrl: parsed.data.callbackUrl, externalRef: parsed.data.externalRef };
  }

  /** A broken manifest must not hold the images hostage: the studies run with default options,
   * and their results say why the manifest was not used. */
  private ignored(folder: string, why: string): StudyOptions {
    this.log.warn(`folder ${folder}: manifest.json ignored (${why})`);
    return { manifestIgnored: why };
  }
}
