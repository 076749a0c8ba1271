import { parseArgs } from 'node:util';
import { Queue } from 'bullmq';
import { loadConfig, type AppConfig } from '@pneumoscreen/config';
import { QueueName } from '@pneumoscreen/contracts';
import { RedisEndpointStatus, listDeadLetters, parseSince, replayDeadLetters, type DeadLetter, type ReplaySelection } from '@pneumoscreen/webhooks';
import { connectRedis } from './redis-connection';
import { UsageError, parseOrExplain } from './usage';

const USAGE = `usage:
  pneumoscreen webhooks failed [--json]       the dead-letter list, with every attempt of every message
  pneumoscreen webhooks replay ID...          send again under the same webhook-id (ID: a job id or a webhook-id)
  pneumoscreen webhooks replay --since TIME   every message dead-lettered since TIME (2025-06-01T12:00:00Z, 30m, 2h, 7d)
  pneumoscreen webhooks enable URL            lift the disabled state a 410 put on an endpoint
`;

export interface WebhooksCommandIo {
  config: () => AppConfig;
  out: (text: string) => void;
  err: (text: string) => void;
  now?: () => Date;
}

/** `pneumoscreen webhooks failed|replay|enable`: the operator's view of webhook delivery. Exit
 * codes: 0 done, 1 something asked for was not there or was skipped, 2 a usage error. */
export async function webhooksCommand(argv: string[]): Promise<number> {
  return runWebhooksCommand(argv, {
    config: () => loadConfig(),
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
  });
}

export async function runWebhooksCommand(argv: string[], io: WebhooksCommandIo): Promise<number> {
  const run = parseOrExplain(() => parse(argv, io.now?.() ?? new Date()), USAGE, io.err);
  if (!run) return 2;
  const { url, prefix } = io.config().redis;
  const connection = await connectRedis(url);
  const queue = new Queue(QueueName.webhook, { connection, prefix });
  try {
    return await run({ queue, endpoints: new RedisEndpointStatus(connection, prefix), io });
  } finally {
    await queue.close();
    await connection.quit();
  }
}

interface Context {
  queue: Queue;
  endpoints: RedisEndpointStatus;
  io: WebhooksCommandIo;
}

function parse(argv: string[], now: Date): (ctx: Context) => Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'failed') {
    const { values } = parseArgs({ args: rest, options: { json: { type: 'boolean', default: false } } });
    return (ctx) => failed(ctx, values.json);
  }
  if (sub === 'replay') {
    const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { since: { type: 'string' } } });
    if ((values.since === undefined) === (positionals.length === 0)) throw new UsageError('replay takes message ids or --since TIME, not both');
    const selection: ReplaySelection = values.since === undefined ? { ids: positionals } : { since: since(values.since, now) };
    return (ctx) => replay(ctx, selection, now);
  }
  if (sub === 'enable') {
    const { positionals } = parseArgs({ args: rest, allowPositionals: true, options: {} });
    if (positionals.length !== 1 || !URL.canParse(positionals[0])) throw new UsageError('enable takes one endpoint URL');
    return (ctx) => enable(ctx, positionals[0]);
  }
  throw new UsageError(sub ? `unknown webhooks command "${sub}"` : 'which webhooks command?');
}

function since(text: string, now: Date): Date {
  try {
    return parseSince(text, now);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

async function failed({ queue, endpoints, io }: Context, json: boolean): Promise<number> {
  const letters = await listDeadLetters(queue, endpoints);
  if (json) {
    io.out(JSON.stringify(letters, null, 2) + '\n');
  } else if (letters.length === 0) {
    io.out('the dead-letter list is empty\n');
  } else {
    io.out(`${letters.length} dead-lettered webhook(s), oldest first\n`);
    for (const d of letters) io.out('\n' + describe(d));
  }
  return 0;
}

function describe(d: DeadLetter): string {
  const lines = [
    `${d.jobId}  ${d.eventType ?? 'unknown event'}${d.studyId ? `  study ${d.studyId}` : ''}`,
    `  webhook-id  ${d.messageId}`,
    `  to          ${d.url}`,
    `  failed      ${d.failedAt ?? '?'}: ${d.reason}`,
  ];
  if (d.invalidPayload) lines.push(`  payload     invalid: ${d.invalidPayload}`);
  if (d.endpointDisabled) lines.push(`  endpoint    disabled since ${d.endpointDisabled.since} (${d.endpointDisabled.reason})`);
  for (let i = 0; i <= d.attempts.length; i++) {
    for (const r of d.replays.filter((r) => r.firstAttempt === i)) lines.push(`  replayed    ${r.at}`);
    const a = d.attempts[i];
    if (!a) continue;
    const status = a.status === undefined ? '---' : String(a.status);
    lines.push(`  attempt ${String(i + 1).padStart(2)}  ${a.at}  ${a.outcome.padEnd(9)} ${status}  ${String(a.latencyMs).padStart(6)} ms${a.error ? `  ${a.error}` : ''}`);
  }
  if (d.attempts.length === 0) lines.push('  attempts    none: nothing was sent');
  return lines.join('\n') + '\n';
}

async function replay({ queue, endpoints, io }: Context, selection: ReplaySelection, now: Date): Promise<number> {
  const report = await replayDeadLetters(queue, endpoints, selection, now);
  for (const d of report.replayed) io.out(`replayed ${d.jobId} (webhook-id ${d.messageId}) to ${d.url}\n`);
  for (const s of report.skipped) io.err(`skipped ${s.deadLetter.jobId}: ${s.why}\n`);
  for (const id of report.unknown) io.err(`not in the dead-letter list: ${id}\n`);
  if ('since' in selection && report.replayed.length + report.skipped.length === 0) {
    io.out(`nothing was dead-lettered since ${selection.since.toISOString()}\n`);
  }
  return report.skipped.length || report.unknown.length ? 1 : 0;
}

async function enable({ endpoints, io }: Context, url: string): Promise<number> {
  const was = await endpoints.enable(url);
  if (was) {
    io.out(`enabled ${was.url}: it was disabled since ${was.since} (${was.reason}); replay its messages with "webhooks replay"\n`);
    return 0;
  }
  const disabled = await endpoints.listDisabled();
  io.err(`${url} is not disabled${disabled.length ? `; disabled endpoints:\n${disabled.map((d) => `  ${d.url}\n`).join('')}` : '\n'}`);
  return 1;
}
