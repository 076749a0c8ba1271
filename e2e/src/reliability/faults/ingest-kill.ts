import { normaliseEtag } from '@pneumoscreen/contracts';
import { RedisStudyRepository } from '@pneumoscreen/studies';
import { BUCKET } from '../stack';
import type { FaultContext, FaultRecord } from './fault';

/**
 * Ingest dies between a study's claim and its enqueue. The harness takes the claim step itself,
 * through the studies repository exactly as ingest records and claims (so no test hook is needed
 * in ingest), then SIGKILLs ingest with other uploads in flight and never enqueues: the study
 * sits "queued" with no job, and only the repair pass of the ingest that replaces it can save it.
 */
export async function killIngestAfterClaim(ctx: FaultContext): Promise<FaultRecord> {
  const { stack, workload } = ctx;
  const tenant = workload.pickTenant();
  const { folder, studyId } = workload.nextFolder(tenant, 'claimed');
  const keys = [0, 1].map((i) => `incoming/${folder}/${i}.jpeg`);
  const redis = stack.connect();
  try {
    const repo = new RedisStudyRepository(redis, stack.env.REDIS_PREFIX!);
    const at = new Date();
    for (const key of keys) {
      const etag = normaliseEtag(await stack.put(key, workload.pickXray()));
      await repo.recordObject(studyId, BUCKET, { key, etag }, at);
      await repo.joinFolder(BUCKET, folder, studyId);
      await repo.placeObject(BUCKET, key, studyId, etag);
    }
    if (!(await repo.claimSubmission(studyId, new Date()))) throw new Error(`ingest-kill: the claim of ${studyId} was not won`);
  } finally {
    redis.disconnect();
  }
  const uploading = workload.upload(ctx.studiesPerWave);
  await new Promise((r) => setTimeout(r, 300));
  await stack.ingest.stop('SIGKILL');
  await stack.startIngest();
  await uploading;
  workload.expect({ studyId, tenant, keys }, true);
  return {
    kind: 'ingest-sigkill-after-claim',
    detail: `study ${studyId} claimed, never enqueued; ingest SIGKILLed with uploads in flight and restarted`,
    studies: ctx.studiesPerWave + 1,
  };
}
