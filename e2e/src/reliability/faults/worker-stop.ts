import { jobsInHand, type FaultContext, type FaultRecord } from './fault';

/**
 * The worker is stopped while it holds image jobs: SIGKILL (a crash, an OOM kill: no shutdown hook
 * runs, BullMQ hands its jobs to the next worker once their locks lapse) or SIGTERM (a deploy:
 * it finishes what it holds first). A new worker takes its place.
 */
export async function stopWorkerMidBatch(ctx: FaultContext, signal: 'SIGKILL' | 'SIGTERM'): Promise<FaultRecord> {
  const uploading = ctx.workload.upload(ctx.studiesPerWave);
  const held = await jobsInHand(ctx.stack);
  const worker = ctx.stack.worker;
  await worker.stop(signal);
  await uploading;
  await ctx.stack.startWorker();
  const how = signal === 'SIGTERM' ? (worker.child.signalCode === 'SIGTERM' ? 'exited on its own' : 'had to be killed') : 'killed';
  return {
    kind: signal === 'SIGKILL' ? 'worker-sigkill' : 'worker-sigterm',
    detail: `${signal} with ${held.length} image job(s) in hand; ${how}; a new worker started`,
    studies: ctx.studiesPerWave,
  };
}
