import { loadConfig, type AppConfig } from '@pneumoscreen/config';
import type { Output } from '../commands/live-line';

/** What a command reads and writes besides its arguments: tests give their own. */
export interface CliIo {
  /** Read only by commands that need the settings, so that `--help` and usage errors need none. */
  config: () => AppConfig;
  out: (text: string) => void;
  err: (text: string) => void;
  /** stderr is a terminal: progress redraws in place there, and retrain follows its job by default. */
  errIsTTY?: boolean;
  now?: () => Date;
}

export function processIo(): CliIo {
  return {
    config: () => loadConfig(),
    out: (text) => void process.stdout.write(text),
    err: (text) => void process.stderr.write(text),
    errIsTTY: process.stderr.isTTY === true,
  };
}

/** stderr as the progress reporters take it. */
export function errOutput(io: CliIo): Output {
  return { write: io.err, isTTY: io.errIsTTY };
}

/** Resolves once everything written to `stream` so far is handed to the OS (or the stream failed):
 * a process that exits earlier cuts its output off at the pipe's buffer (64 KiB on Linux). */
export function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || !stream.writable) return resolve();
    stream.write('', () => resolve());
  });
}
