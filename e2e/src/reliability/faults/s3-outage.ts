import { jobsInHand, type FaultContext, type FaultRecord } from './fault';

const OUTAGE_MS = 8_000;

/** The store goes away while images are being downloaded, then comes back with the same objects;
 * uploads wait it out as a modality's would. */
export async function s3Outage(ctx: FaultContext): Promise<FaultRecord> {
  const uploading = ctx.workload.upload(ctx.studiesPerWave);
  const held = await jobsInHand(ctx.stack);
  await ctx.stack.s3.stop();
  await new Promise((r) => setTimeout(r, OUTAGE_MS));
  await ctx.stack.s3.start();
  await uploading;
  return {
    kind: 's3-outage',
    detail: `store down ${OUTAGE_MS / 1000} s with ${held.length} image job(s) active`,
    studies: ctx.studiesPerWave,
  };
}
