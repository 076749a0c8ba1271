import { randomBytes } from 'node:crypto';
import type { StudyResult } from '@pneumoscreen/contracts';
import { FAULT_KINDS, type FaultContext, type FaultKind, type FaultRecord } from './faults/fault';
import { receiverDown } from './faults/receiver-down';
import { restartRedis } from './faults/redis-restart';
import { s3Outage } from './faults/s3-outage';
import { stopWorkerMidBatch } from './faults/worker-stop';
import { killIngestAfterClaim } from './faults/ingest-kill';
import type { BadInputRecord, InputContext } from './inputs/bad-input';
import { badImages } from './inputs/images';
import { hostileDicom } from './inputs/dicom';
import { badEvents } from './inputs/events';
import { badManifests } from './inputs/manifests';
import { pathTricks } from './inputs/path-tricks';
import { hostileCallbacks } from './inputs/callbacks';
import { crossTenant } from './inputs/cross-tenant';
import { deliveries, tallyStudies } from './invariants';
import { buildReport, type ReliabilityReport } from './report';
import { ReliabilityStack } from './stack';
import { mulberry32 } from '@pneumoscreen/evaluation';
import { Workload, sampleXrays } from './workload';

export interface ReliabilityOptions {
  seed: number;
  /** Studies uploaded before any fault, and during each one. */
  studiesPerWave: number;
  faults: readonly FaultKind[];
  /** Print every app's output as it comes. */
  echo?: boolean;
  env?: NodeJS.ProcessEnv;
  /** How long the end of the run waits for the last results. */
  settleTimeoutMs?: number;
}

const FAULTS: Record<FaultKind, (ctx: FaultContext) => Promise<FaultRecord>> = {
  'worker-sigkill': (ctx) => stopWorkerMidBatch(ctx, 'SIGKILL'),
  'worker-sigterm': (ctx) => stopWorkerMidBatch(ctx, 'SIGTERM'),
  'redis-restart': restartRedis,
  's3-outage': s3Outage,
  'receiver-down': receiverDown,
  'ingest-sigkill-after-claim': killIngestAfterClaim,
};

const INPUTS = [badImages, hostileDicom, badEvents, badManifests, pathTricks, hostileCallbacks, crossTenant];

/**
 * One seeded run: a wave of good studies, every kind of bad input, then each fault in turn with a
 * wave of studies in flight; then every study is judged by what reached the tenants' endpoints
 * and the store.
 */
export async function runReliability(o: ReliabilityOptions): Promise<ReliabilityReport> {
  const startedAt = new Date();
  const random = mulberry32(o.seed);
  const stack = await ReliabilityStack.start({ prefix: `{rel-${o.seed}-${randomBytes(3).toString('hex')}}`, env: o.env, echo: o.echo });
  try {
    const workload = new Workload(stack, random, await sampleXrays(), o.seed);
    const resultOf = async (studyId: string): Promise<StudyResult> => {
      const find = () => deliveries(stack, stack.receiver.all()).find((d) => d.studyId === studyId)?.result;
      await stack.receiver.waitFor(() => find() !== undefined, 240_000);
      return find()!;
    };
    const inputCtx: InputContext = { stack, workload, resultOf };
    await workload.upload(o.studiesPerWave);
    const inputs: BadInputRecord[] = (await Promise.all(INPUTS.map((f) => f(inputCtx)))).flat();
    const faults: FaultRecord[] = [];
    for (const kind of o.faults) {
      if (!FAULT_KINDS.includes(kind)) throw new Error(`unknown fault kind ${kind}`);
      faults.push(await FAULTS[kind]({ stack, workload, studiesPerWave: o.studiesPerWave }));
    }
    const delivered = () => new Set(deliveries(stack, stack.receiver.all()).map((d) => d.studyId));
    await stack.receiver
      .waitFor(() => workload.expected.every((e) => delivered().has(e.studyId)), o.settleTimeoutMs ?? 240_000)
      .catch(() => undefined);
    // A second delivery of a study would come after the first: give it time to show.
    await new Promise((r) => setTimeout(r, 3_000));
    const tally = await tallyStudies(stack, workload.expected, deliveries(stack, stack.receiver.all()), workload.good);
    return buildReport(o.seed, startedAt, tally, faults, inputs);
  } finally {
    await stack.stop();
  }
}
