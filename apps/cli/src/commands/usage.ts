/** A command line that cannot run as given; the command prints it with its usage and exits 2. */
export class UsageError extends Error {}

/**
 * `parse()`'s result, or undefined once a UsageError or parseArgs' own complaint (an unknown
 * option, a missing value) has been printed with the command's usage. Anything else is a bug and
 * is thrown.
 */
export function parseOrExplain<T>(parse: () => T, usage: string, err: (text: string) => void): T | undefined {
  try {
    return parse();
  } catch (e) {
    if (!(e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS'))) throw e;
    err(`${(e as Error).message}\n\n${usage}`);
    return undefined;
  }
}

/** `parseOrExplain` for a command that also answers `--help` or `-h` anywhere on its line with its
 * usage (exit 0). Returns the request, or the exit code when there is nothing to run. */
export function parseCommandLine<T>(argv: readonly string[], usage: string, parse: () => T, io: { out: (text: string) => void; err: (text: string) => void }): { request: T } | { exit: 0 | 2 } {
  if (argv.some((a) => a === '--help' || a === '-h')) {
    io.out(usage);
    return { exit: 0 };
  }
  const request = parseOrExplain(parse, usage, io.err);
  return request === undefined ? { exit: 2 } : { request };
}
