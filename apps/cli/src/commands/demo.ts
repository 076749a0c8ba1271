import { resolve } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { repoPath } from '@pneumoscreen/config';
import { StudyResult } from '@pneumoscreen/contracts';
import { ExitCode, UsageError, commandAction } from '../program/action';
import type { CliIo } from '../program/io';
import { numberText } from '../program/options';
import { startLocalStack, type LocalStack } from '../demo/local-stack';
import { formatTable, type Finished } from '../demo/report';
import { findStudies, uploadStudy } from '../demo/upload';

const INCOMING = 'incoming/';

const Options = z.object({
  input: z.string().optional(),
  callbackUrl: z.string().url({ message: 'must be a URL' }).optional(),
  timeout: numberText((x) => x > 0, 'a number of seconds'),
  verbose: z.boolean().default(false),
});

export function configureDemoCommand(program: Command, io: CliIo): void {
  program
    .command('demo')
    .description('run the whole pipeline locally on the sample studies (or --input DIR)')
    .option('--input <dir>', 'study folders to upload (default samples/studies)')
    .option('--callback-url <url>', 'send signed webhooks there (needs WEBHOOK_SECRET, whsec_<base64>, in the environment)')
    .option('--timeout <seconds>', 'how long to wait for every result', '300')
    .option('--verbose', "show the apps' logs")
    .action(commandAction(io, Options, demo));
}

/** The whole pipeline on this machine: uploads each study folder to the bucket, waits for every
 * result and prints a table. */
async function demo(values: z.output<typeof Options>, io: CliIo): Promise<number> {
  const { callbackUrl } = values;
  if (callbackUrl && !process.env.WEBHOOK_SECRET) {
    throw new UsageError('--callback-url needs WEBHOOK_SECRET (whsec_<base64>) in the environment to sign the webhooks');
  }
  const timeoutMs = values.timeout * 1000;
  const studies = await findStudies(resolve(values.input ?? repoPath('samples/studies')));
  const say = (l: string) => io.err(`${l}\n`);
  say(`pneumoscreen demo: ${studies.length} studies, ${studies.reduce((n, s) => n + s.files.length, 0)} images`);

  const stack = await startLocalStack({ env: process.env, callbackUrl, echo: values.verbose, say });
  try {
    const started = Date.now();
    await Promise.all(studies.map((s) => uploadStudy(stack.store, stack.bucket, INCOMING, s)));
    say(`uploaded to s3://${stack.bucket}/${INCOMING}; waiting for results`);
    const done = await Promise.race([Promise.all(studies.map((s) => waitForStudy(stack, s.studyId, started, timeoutMs))), stack.crashed]);
    const wall = (Date.now() - started) / 1000;
    const images = done.reduce((n, d) => n + d.result.images.length, 0);
    io.out(`${formatTable(done)}\n\n`);
    io.out(`${images} images in ${wall.toFixed(1)} s from upload to last result: ${(images / wall).toFixed(2)} images/s\n`);
    io.out(`results: s3://${stack.bucket}/results/<study>.json${callbackUrl ? `; signed webhooks sent to ${callbackUrl}` : ''}\n`);
    return ExitCode.ok;
  } finally {
    await stack.stop();
  }
}

async function waitForStudy(stack: LocalStack, studyId: string, started: number, timeoutMs: number): Promise<Finished> {
  const deadline = started + timeoutMs;
  while (Date.now() < deadline) {
    const res = await fetch(`${stack.ingestUrl}/v1/studies/${studyId}`, { headers: { authorization: `Bearer ${stack.apiKey}` } });
    if (res.ok) {
      const view = (await res.json()) as { status: string; result?: unknown };
      if (view.result) {
        const result = StudyResult.parse(view.result);
        return { result, seconds: (Date.parse(result.completedAt) - started) / 1000 };
      }
    } else if (res.status !== 404) {
      throw new Error(`ingest answered ${res.status} for study ${studyId}: ${await res.text()}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`study ${studyId} did not finish within ${timeoutMs / 1000} s (run with --verbose to see the apps' logs)`);
}
