import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { Job, Queue, QueueEvents } from 'bullmq';
import { z } from 'zod';
import type { AppConfig } from '@pneumoscreen/config';
import {
  JobName,
  QueueName,
  RETRAIN_DEDUPLICATION_ID,
  RetrainProgress,
  RetrainResult,
  type NewRetrainJobData,
} from '@pneumoscreen/contracts';
import { JOBS, redisOptionsFromUrl } from '@pneumoscreen/queue';
import { ExitCode, commandAction } from '../program/action';
import { errOutput, type CliIo } from '../program/io';
import { wholeNumber } from '../program/options';
import { connectRedis } from './redis-connection';
import { resultReport, retrainReporter } from './retrain-report';

/** How long a job may sit unclaimed before the command says that no trainer seems to be running. */
const NO_TRAINER_HINT_MS = 15_000;

const Options = z.object({
  minNewLabels: wholeNumber(0),
  epochs: wholeNumber(1).optional(),
  fineTuneEpochs: wholeNumber(0).optional(),
  augment: wholeNumber(0).optional(),
  shapeSwap: wholeNumber(0).optional(),
  wait: z.boolean().optional(),
  follow: z.string().optional(),
  json: z.boolean().default(false),
});

export function configureRetrainCommand(program: Command, io: CliIo): void {
  program
    .command('retrain')
    .description('queue a retrain on base data + feedback and follow it')
    .option('--min-new-labels <n>', 'refuse to train unless N images were labelled since production was trained', '0')
    .option('--epochs <n>', 'head epochs at most (trainer default)')
    .option('--fine-tune-epochs <n>', 'fine-tuning epochs at most, 0 skips fine-tuning (trainer default)')
    .option('--augment <n>', 'augmented copies per training image (trainer default)')
    .option('--shape-swap <n>', "copies per training image with the other class's film shape (trainer default)")
    .option('--wait', 'follow the job to its end (default: when stderr is a terminal)')
    .option('--no-wait', 'queue the job and return')
    .option('--follow <job>', 'follow a retrain job already queued or running')
    .option('--json', 'print the result as one JSON object on stdout')
    .addHelpText(
      'after',
      `
Queues a retrain job for the trainer (apps/trainer, TRAINER_POOLS=training). Only one runs at a
time: while one is queued or running, asking again names it. Exit codes: 0 the candidate passed
the promotion gate (or the job was queued, without --wait); 1 it failed the gate, the job failed,
or another retrain is running; 2 a usage error.
`,
    )
    .action(commandAction(io, Options, retrain));
}

async function retrain(values: z.output<typeof Options>, io: CliIo): Promise<number> {
  const data: NewRetrainJobData = {
    requestedAt: new Date().toISOString(),
    minNewLabels: values.minNewLabels,
    maxEpochs: values.epochs,
    fineTuneEpochs: values.fineTuneEpochs,
    augmentCopies: values.augment,
    shapeSwapCopies: values.shapeSwap,
  };
  const wait = values.follow !== undefined || (values.wait ?? io.errIsTTY === true);

  const config = io.config();
  const connection = await connectRedis(config.redis.url);
  const queue = new Queue(QueueName.training, { connection, prefix: config.redis.prefix });
  try {
    let job: Job | undefined;
    if (values.follow !== undefined) {
      job = await Job.fromId(queue, values.follow);
      if (!job) {
        io.err(`retrain: no retrain job ${values.follow} (finished jobs are kept 30 days)\n`);
        return ExitCode.failed;
      }
    } else {
      const jobId = `retrain-${randomUUID()}`;
      job = await queue.add(JobName.retrain, data, {
        ...JOBS[JobName.retrain].options,
        jobId,
        deduplication: { id: RETRAIN_DEDUPLICATION_ID },
      });
      if (job.id !== jobId) {
        const state = await queue.getJobState(job.id!);
        io.err(
          `retrain: another retrain is already ${state === 'active' ? 'running' : 'queued'} (job ${job.id}); follow it with: pneumoscreen retrain --follow ${job.id}\n`,
        );
        return ExitCode.failed;
      }
      io.err(`retrain: queued job ${job.id}\n`);
    }
    if (!wait) {
      if (values.json) io.out(JSON.stringify({ jobId: job.id }) + '\n');
      else io.err(`follow it with: pneumoscreen retrain --follow ${job.id}\n`);
      return ExitCode.ok;
    }
    return await follow(config, queue, job, io, values.json);
  } finally {
    await queue.close();
    await connection.quit();
  }
}

/** Streams the job's progress until it ends, then reports its result. */
async function follow(config: AppConfig, queue: Queue, job: Job, io: CliIo, json: boolean): Promise<number> {
  const events = new QueueEvents(QueueName.training, { connection: redisOptionsFromUrl(config.redis.url), prefix: config.redis.prefix });
  const report = retrainReporter(errOutput(io));
  const show = (raw: unknown) => {
    const p = RetrainProgress.safeParse(raw);
    if (p.success) report(p.data);
  };
  events.on('progress', ({ jobId, data }) => {
    if (jobId === job.id) show(data);
  });
  const hint = setTimeout(async () => {
    if ((await queue.getJobState(job.id!).catch(() => 'unknown')) === 'waiting') {
      io.err(`retrain: job ${job.id} is still waiting: is a trainer running with TRAINER_POOLS including "training"?\n`);
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
      io.err(`retrain: job ${job.id} failed: ${(e as Error).message}\n`);
      return ExitCode.failed;
    }
    const result = RetrainResult.safeParse(returned);
    if (!result.success) {
      io.err(
        `retrain: job ${job.id} returned an unexpected result (is the trainer a different version?): ${result.error.issues[0]?.message}\n`,
      );
      return ExitCode.failed;
    }
    if (json) io.out(JSON.stringify(result.data) + '\n');
    else io.out(resultReport(result.data));
    return result.data.gate.passed ? ExitCode.ok : ExitCode.failed;
  } finally {
    clearTimeout(hint);
    await events.close();
  }
}
