import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { StudyResult } from '@pneumoscreen/contracts';
import { startLocalStack, type LocalStack } from '../demo/local-stack';
import { formatTable, type Finished } from '../demo/report';
import { findStudies, uploadStudy } from '../demo/upload';

const INCOMING = 'incoming/';
const SAMPLES = resolve(__dirname, '../../../../samples/studies');

/**
 * `pneumoscreen demo [--input DIR] [--callback-url URL] [--verbose]`: the whole pipeline on this
 * machine. Uploads each study folder to the bucket, waits for every result and prints a table.
 */
export async function demoCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      input: { type: 'string' },
      'callback-url': { type: 'string' },
      timeout: { type: 'string', default: '300' },
      verbose: { type: 'boolean', default: false },
    },
  });
  const callbackUrl = values['callback-url'];
  if (callbackUrl && !process.env.WEBHOOK_SECRET) {
    throw new Error('--callback-url needs WEBHOOK_SECRET (whsec_<base64>) in the environment to sign the webhooks');
  }
  const timeoutMs = Number(values.timeout) * 1000;
  if (!(timeoutMs > 0)) throw new Error('--timeout must be a number of seconds');
  const studies = await findStudies(resolve(values.input ?? SAMPLES));
  const say = (l: string) => process.stderr.write(`${l}\n`);
  say(`pneumoscreen demo: ${studies.length} studies, ${studies.reduce((n, s) => n + s.files.length, 0)} images`);

  const stack = await startLocalStack({ env: process.env, callbackUrl, echo: values.verbose, say });
  try {
    const started = Date.now();
    await Promise.all(studies.map((s) => uploadStudy(stack.store, stack.bucket, INCOMING, s)));
    say(`uploaded to s3://${stack.bucket}/${INCOMING}; waiting for results`);
    const done = await Promise.race([Promise.all(studies.map((s) => waitForStudy(stack, s.studyId, started, timeoutMs))), stack.crashed]);
    const wall = (Date.now() - started) / 1000;
    const images = done.reduce((n, d) => n + d.result.images.length, 0);
    process.stdout.write(`${formatTable(done)}\n\n`);
    process.stdout.write(`${images} images in ${wall.toFixed(1)} s from upload to last result: ${(images / wall).toFixed(2)} images/s\n`);
    process.stdout.write(`results: s3://${stack.bucket}/results/<study>.json${callbackUrl ? `; signed webhooks sent to ${callbackUrl}` : ''}\n`);
    return 0;
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
