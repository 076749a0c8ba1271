import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { z } from 'zod';
import type { AppConfig } from '@pneumoscreen/config';
import { ExitCode, UsageError, commandAction, runProgram } from './action';
import type { CliIo } from './io';
import { wholeNumber } from './options';

/** A two-level program like pneumoscreen's, whose action reports what it was given. */
function harness(run: (input: { version?: string; count: number; json: boolean }) => Promise<number>) {
  let out = '';
  let err = '';
  const io: CliIo = { config: (): AppConfig => assert.fail('read no settings'), out: (t) => void (out += t), err: (t) => void (err += t) };
  const program = new Command('tool').exitOverride().configureOutput({ writeOut: io.out, writeErr: io.err }).showHelpAfterError();
  program
    .command('group')
    .command('leaf')
    .description('a leaf command')
    .argument('[version]', 'a version')
    .option('--count <n>', 'how many', '3')
    .option('--json', 'as JSON')
    .action(commandAction(io, z.object({ version: z.string().optional(), count: wholeNumber(1), json: z.boolean().default(false) }), run));
  return { exec: async (...argv: string[]) => ({ code: await runProgram(program, argv), out, err }) };
}

test('the action gets typed options with their defaults, and its result is the exit code', async () => {
  const seen: unknown[] = [];
  const { exec } = harness(async (input) => (seen.push(input), 1));
  assert.equal((await exec('group', 'leaf', 'v7')).code, ExitCode.failed);
  assert.equal((await exec('group', 'leaf', '--count', '12', '--json')).code, ExitCode.failed);
  assert.deepEqual(seen, [
    { version: 'v7', count: 3, json: false },
    { version: undefined, count: 12, json: true },
  ]);
});

test('--help works on every level and exits 0 without running anything', async () => {
  const { exec } = harness(async () => assert.fail('not run'));
  for (const argv of [['--help'], ['group', '--help'], ['group', 'leaf', '--help'], ['group', 'leaf', 'v1', '-h']]) {
    const r = await exec(...argv);
    assert.equal(r.code, ExitCode.ok, argv.join(' '));
  }
  const leaf = await exec('group', 'leaf', '--help');
  assert.match(leaf.out, /Usage: tool group leaf \[options\] \[version\][\s\S]*--count <n> +how many \(default: "3"\)/);
});

test('a value the schema refuses, an unknown option and a UsageError exit 2 naming the problem, with the help', async () => {
  const { exec } = harness(async (input) => {
    if (input.version === 'both') throw new UsageError('VERSION and --json exclude each other');
    return 0;
  });
  const bad = await exec('group', 'leaf', '--count', 'two');
  assert.equal(bad.code, ExitCode.usage);
  assert.match(bad.err, /^error: --count must be a whole number of at least 1, not "two"\n\nUsage: tool group leaf/);
  const unknown = await exec('group', 'leaf', '--jsn');
  assert.equal(unknown.code, ExitCode.usage);
  assert.match(unknown.err, /unknown option '--jsn'/);
  const thrown = await exec('group', 'leaf', 'both');
  assert.equal(thrown.code, ExitCode.usage);
  assert.match(thrown.err, /^error: VERSION and --json exclude each other\n\nUsage: tool group leaf/m);
  assert.equal((await exec('group', 'nope')).code, ExitCode.usage);
  assert.equal((await exec('group', 'leaf', 'a', 'b')).code, ExitCode.usage);
});

test('any other error is one line on stderr and exits 1', async () => {
  const { exec } = harness(async () => {
    throw new Error('cannot reach Redis at 127.0.0.1:1');
  });
  const r = await exec('group', 'leaf');
  assert.deepEqual([r.code, r.out, r.err], [ExitCode.failed, '', 'pneumoscreen: cannot reach Redis at 127.0.0.1:1\n']);
});
