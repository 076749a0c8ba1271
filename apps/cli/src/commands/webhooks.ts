import type { Command } from 'commander';
import { Queue } from 'bullmq';
import { z } from 'zod';
import { QueueName } from '@pneumoscreen/contracts';
import {
  RedisEndpointStatus,
  listDeadLetters,
  parseSince,
  replayDeadLetters,
  type DeadLetter,
  type ReplaySelection,
} from '@pneumoscreen/webhooks';
import { connectRedis } from './redis-connection';
import { ExitCode, UsageError, commandAction } from '../program/action';
import type { CliIo } from '../program/io';

/** `pneumoscreen webhooks failed|replay|enable`: the operator's view of webhook delivery. Exit
 * codes: 0 done, 1 something asked for was not there or was skipped, 2 a usage error. */
export function configureWebhooksCommand(program: Command, io: CliIo): void {
  const webhooks = program.command('webhooks').description('webhook dead letters: list, replay, re-enable endpoints');
  webhooks
    .command('failed')
    .description('the dead-letter list, with every attempt of every message')
    .option('--json', 'print the list as JSON')
    .action(commandAction(io, z.object({ json: z.boolean().default(false) }), (o, io) => withQueue(io, (ctx) => failed(ctx, o.json))));
  webhooks
    .command('replay')
    .description('send again under the same webhook-id: the messages named, or every one dead-lettered since TIME')
    .argument('[ids...]', 'job ids or webhook-ids')
    .option('--since <time>', 'every message dead-lettered since TIME (2025-06-01T12:00:00Z, 30m, 2h, 7d)')
    .action(
      commandAction(io, z.object({ ids: z.array(z.string()), since: z.string().optional() }), (o, io) => {
        if ((o.since === undefined) === (o.ids.length === 0)) throw new UsageError('replay takes message ids or --since TIME, not both');
        const now = io.now?.() ?? new Date();
        const selection: ReplaySelection = o.since === undefined ? { ids: o.ids } : { since: since(o.since, now) };
        return withQueue(io, (ctx) => replay(ctx, selection, now));
      }),
    );
  webhooks
    .command('enable')
    .description('lift the disabled state a 410 put on an endpoint')
    .argument('<url>', 'the endpoint URL')
    .action(
      commandAction(io, z.object({ url: z.string().url({ message: 'must be an endpoint URL' }) }), (o, io) =>
        withQueue(io, (ctx) => enable(ctx, o.url)),
      ),
    );
}

async function withQueue(io: CliIo, run: (ctx: Context) => Promise<number>): Promise<number> {
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
  io: CliIo;
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
  return ExitCode.ok;
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
    lines.push(
      `  attempt ${String(i + 1).padStart(2)}  ${a.at}  ${a.outcome.padEnd(9)} ${status}  ${String(a.latencyMs).padStart(6)} ms${a.error ? `  ${a.error}` : ''}`,
    );
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
  return report.skipped.length || report.unknown.length ? ExitCode.failed : ExitCode.ok;
}

async function enable({ endpoints, io }: Context, url: string): Promise<number> {
  const was = await endpoints.enable(url);
  if (was) {
    io.out(`enabled ${was.url}: it was disabled since ${was.since} (${was.reason}); replay its messages with "webhooks replay"\n`);
    return ExitCode.ok;
  }
  const disabled = await endpoints.listDisabled();
  io.err(`${url} is not disabled${disabled.length ? `; disabled endpoints:\n${disabled.map((d) => `  ${d.url}\n`).join('')}` : '\n'}`);
  return ExitCode.failed;
}
