import { CommanderError, type Command } from 'commander';
import type { z } from 'zod';
import type { CliIo } from './io';

/** Every command's exit status (README: Exit codes). */
export const ExitCode = {
  /** Done. */
  ok: 0,
  /** Refused or failed, or some of the items asked for failed (an unreadable image, a skipped replay). */
  failed: 1,
  /** The command line cannot run as given: nothing was done. */
  usage: 2,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** A command line that cannot run as given, found after parsing (two options that exclude each other). */
export class UsageError extends Error {}

const USAGE_ERROR = 'pneumoscreen.usage';
const exitCodes = new WeakMap<Command, number>();

/**
 * The one action of every command: its options and arguments (by their names) go through
 * `schema`, whose failures are usage errors, then to `run`, whose result is the exit code. A
 * UsageError from `run` is a usage error too; any other error is printed as one line and exits 1.
 */
export function commandAction<S extends z.ZodTypeAny>(io: CliIo, schema: S, run: (input: z.output<S>, io: CliIo) => Promise<number>) {
  return async (...args: unknown[]): Promise<void> => {
    const command = args[args.length - 1] as Command;
    const named = Object.fromEntries(command.registeredArguments.map((a, i) => [a.name(), command.processedArgs[i]]));
    const parsed = schema.safeParse({ ...command.opts(), ...named });
    if (!parsed.success) usageError(command, parsed.error.issues.map((issue) => describeIssue(command, issue)).join('; '));
    let code: number;
    try {
      code = await run(parsed.data, io);
    } catch (e) {
      if (e instanceof UsageError) usageError(command, e.message);
      io.err(`pneumoscreen: ${(e as Error).message}\n`);
      code = ExitCode.failed;
    }
    exitCodes.set(root(command), code);
  };
}

/** Runs `program` on `argv` (without node and script); commander's own complaints (an unknown
 * option, a missing argument) are usage errors, and `--help` exits 0. */
export async function runProgram(program: Command, argv: readonly string[]): Promise<number> {
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    return e.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
  }
  return exitCodes.get(program) ?? ExitCode.ok;
}

/** Prints `message` and the command's help the way commander prints its own errors, and stops. */
function usageError(command: Command, message: string): never {
  command.error(`error: ${message}`, { exitCode: ExitCode.usage, code: USAGE_ERROR });
}

/** "--epochs must be ..." for an option, "VERSION ..." for an argument. */
function describeIssue(command: Command, issue: z.ZodIssue): string {
  const key = String(issue.path[0] ?? '');
  const option = command.options.find((o) => o.attributeName() === key);
  const argument = command.registeredArguments.find((a) => a.name() === key);
  const name = option ? (option.long ?? option.short) : argument ? argument.name().toUpperCase() : key;
  return name ? `${name} ${issue.message}` : issue.message;
}

function root(command: Command): Command {
  let c = command;
  while (c.parent) c = c.parent;
  return c;
}
