import { uidStudyId, type StudyJobData } from '@pneumoscreen/contracts';
import { startIngestStack, type IngestReplica, type IngestStack } from '../ingest.test-harness';
import { uidDigest } from './dicom-objects.test-harness';

export const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46]), Buffer.alloc(100)]);

/** The stack the grouping specs share: s3rver and real Redis, debug logs captured, one replica. */
export interface GroupingStack {
  stack: IngestStack;
  ingest: IngestReplica;
  /** The study id a StudyInstanceUID is grouped under, in the default tenant. */
  uidHash(uid: string): string;
  /** Uploads each file to incoming/`folder`/ and records it with `replica`: the outcomes. */
  drop(folder: string, files: Record<string, Buffer | string>, replica?: IngestReplica): Promise<string[]>;
  /** The study job queued for `studyId`, if any, and its image keys. */
  queuedStudy(studyId: string): Promise<{ study: StudyJobData | undefined; keys: string[] }>;
}

export async function startGroupingStack(): Promise<GroupingStack> {
  const stack = await startIngestStack({ LOG_LEVEL: 'debug' });
  const ingest = stack.replica();

  const uidHash = (uid: string) => uidStudyId(stack.studyIdKey, 'default', uidDigest(uid));

  async function drop(folder: string, files: Record<string, Buffer | string>, replica = ingest): Promise<string[]> {
    const outcomes: string[] = [];
    for (const [name, body] of Object.entries(files)) {
      await stack.put(`incoming/${folder}/${name}`, body);
      outcomes.push(await replica.record.execute({ bucket: 'scans', key: `incoming/${folder}/${name}` }));
    }
    return outcomes;
  }

  async function queuedStudy(studyId: string) {
    const { studies, images } = await stack.queued();
    return { study: studies.find((s) => s.studyId === studyId), keys: images.get(studyId) ?? [] };
  }

  return { stack, ingest, uidHash, drop, queuedStudy };
}
