import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Job, Queue, QueueEvents } from 'bullmq';
import { loadConfig, type AppConfig } from '@pneumoscreen/config';
import {
  JobName,
  QueueName,
  RETRAIN_DEDUPLICATION_ID,
  RetrainProgress,
  RetrainResult,
  type NewRetrainJobData,
} from '@pneumoscreen/contracts';
import { redisOptionsFromUrl, retrainJobOptions } from '@pneumoscreen/queue';
import { connectRedis } from './redis-connection';
import { resultReport, retrainReporter } from './retrain-report';

const USAGE = `usage: pneumoscreen retrain [options]
  --min-new-labels N     refuse to train unless N images were labelled since production was trained (default 0)
  --epochs N             head epochs at most (trainer default)
  --fine-tune-epochs N   fine-tuning epochs at most, 0 skips fine-tuning (trainer default)
  --augment N            augmented copies per training image (trainer default)
  --shape-swap N         copies per training image with the other class's film shape (trainer default)
  --wait, --no-wait      follow the job to its end (default: when stderr is a terminal)
  --follow JOB           follow a retrain job already queued or running
  --json                 print the result as one JSON object on stdout

Queues a retrain job for the trainer (apps/trainer, TRAINER_POOLS=training). Only one runs at a
time: while one is queued or running, asking again names it. Exit codes: 0 the candidate passed
the promotion gate (or the job was queued, without --wait); 1 it failed the gate, the job failed,
or another retrain is running; 2 a usage error.
`;

/** How long a job may sit unclaimed before the command says that no trainer seems to be running. */
const NO_TRAINER_HINT_MS = 15_000;

export interface RetrainIo {
  config: () => AppConfig;
  out: { write(text: string): unknown };
  err: { write(text: string): unknown; isTTY?: boolean };
}

export function retrainCommand(argv: string[]): Promise<number> {
  return runRetrain(argv, { config: () => loadConfig(), out: process.stdout, err: process.stderr });
}

export async function runRetrain(argv: string[], io: RetrainIo): Promise<number> {
  let values;
  try {
    values = parseArgs({
      args: argv,
      strict: true,
      options: {
        'min-new-labels': { type: 'string', default: '0' },
        epochs: { type: 'string' },
        'fine-tune-epochs': { type: 'string' },
        augment: { type: 'string' },
        'shape-swap': { type: 'string' },
        wait: { type: 'boolean' },
        'no-wait': { type: 'boolean' },
        follow: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }).values;
  } catch (e) {
    return usageError(io, (e as Error).message);
  }
  if (values.help) {
    io.out.write(USAGE);
    return 0;
  }
  let data: NewRetrainJobData;
  try {
    data = {
      requestedAt: new Date().toISOString(),
      minNewLabels: count('--min-new-labels', values['min-new-labels'], 0)!,
      maxEpochs: count('--epochs', values.epochs, 1),
      fineTuneEpochs: count('--fine-tune-epochs', values['fine-tune-epochs'], 0),
      augmentCopies: count('--augment', values.augment, 0),
      shapeSwapCopies: count('--shape-swap', values['shape-swap'], 0),
    };
  } catch (e) {
    return usageError(io, (e as Error).message);
  }
  if (values.wait && values['no-wait']) return usageError(io, '--wait and --no-wait contradict each other');
  const wait = values.follow !== undefined || (values.wait ?? (values['no-wait'] ? false : io.err.isTTY === true));

  const config = io.config();
  const connection = await connectRedis(config.redis.url);
  const queue = new Queue(QueueName.training, { connection, prefix: config.redis.prefix });
  try {
    let job: Job | undefined;
    if (values.follow !== undefined) {
      job = await Job.fromId(queue, values.follow);
      if (!job) {
        io.err.write(`retrain: no retrain job ${values.follow} (finished jobs are kept 30 days)\n`);
        return 1;
      }
    } else {
      const jobId = `retrain-${randomUUID()}`;
      job = await queue.add(JobName.retrain, data, { ...retrainJobOptions, jobId, deduplication: { id: RETRAIN_DEDUPLICATION_ID } });
      if (job.id !== jobId) {
        const state = await queue.getJobState(job.id!);
        io.err.write(`retrain: another retrain is already ${state === 'active' ? 'running' : 'queued'} (job ${job.id}); follow it with: pneumoscreen retrain --follow ${job.id}\n`);
        return 1;
      }
      io.err.write(`retrain: queued job ${job.id}\n`);
    }
    if (!wait) {
      if (values.json) io.out.write(JSON.stringify({ jobId: job.id }) + '\n');
      else io.err.write(`follow it with: pneumoscreen retrain --follow ${job.id}\n`);
      return 0;
    }
    return await follow(config, queue, job, io, values.json);
  } finally {
    await queue.close();
    await connection.quit();
  }
}

/** Streams the job's progress until it ends, then reports its result. */
async function follow(config: AppConfig, queue: Queue, job: Job, io: RetrainIo, json: boolean): Promise<number> {
  const events = new QueueEvents(QueueName.training, { connection: redisOptionsFromUrl(config.redis.url), prefix: config.redis.prefix });
  const report = retrainReporter(io.err);
  const show = (raw: unknown) => {
    const p = RetrainProgress.safeParse(raw);
    if (p.success) report(p.data);
  };
  events.on('progress', ({ jobId, data }) => {
    if (jobId === job.id) show(data);
  });
  const hint = setTimeout(async () => {
    if ((await queue.getJobState(job.id!).catch(() => 'unknown')) === 'waiting') {
      io.err.write(`retrain: job ${job.id} is still waiting: is a trainer running with TRAINER_POOLS including "training"?\n`);
    }
  }, NO_TRAINER_HINT_MS);
  try {
    await events.waitUntilReady();
    // Progress made before we listened (e.g. with --follow) shows at once.
    show((await Job.fromId(queue, job.id!))?.progress);
    let returned: unknown;
    try {
      returned = await job.waitUntilFinished(events);
    } catch (e) {
      io.err.write(`retrain: job ${job.id} failed: ${(e as Error).message}\n`);
      return 1;
    }
    const result = RetrainResult.safeParse(returned);
    if (!result.success) {
      io.err.write(`retrain: job ${job.id} returned an unexpected result (is the trainer a different version?): ${result.error.issues[0]?.message}\n`);
      return 1;
    }
    if (json) io.out.write(JSON.stringify(result.data) + '\n');
    else io.out.write(resultReport(result.data));
    return result.data.gate.passed ? 0 : 1;
  } finally {
    clearTimeout(hint);
    await events.close();
  }
}

function count(flag: string, raw: string | undefined, min: number): number | undefined {
  if (raw === undefined) return undefined;
  const x = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(x) || x < min) throw new Error(`invalid ${flag} "${raw}": expected a whole number of at least ${min}`);
  return x;
}

function usageError(io: RetrainIo, message: string): number {
  io.err.write(`retrain: ${message}\n\n${USAGE}`);
  return 2;
}
