import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface SpawnedApp {
  name: string;
  child: ChildProcess;
  /** Every line the process printed, for diagnosis when a test fails. */
  output: string[];
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Runs a built app (`node <entry>`, or `<opts.command> <entry>`) as its own OS process with the
 * given environment; with `opts.netns`, inside that network namespace (`ip netns exec`, which
 * execs the app: the child's pid is the app's). */
export function spawnApp(
  name: string,
  entry: string,
  env: NodeJS.ProcessEnv,
  opts: { echo?: boolean; command?: string; netns?: string } = {},
): SpawnedApp {
  const command = opts.command ?? process.execPath;
  const [file, args] = opts.netns ? ['ip', ['netns', 'exec', opts.netns, command, entry]] : [command, [entry]];
  // Plain lines: readers match them with regular expressions.
  const child = spawn(file, args, { env: { ...env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const waiters: Array<{ pattern: RegExp; resolve: (m: RegExpMatchArray) => void }> = [];
  const onLine = (line: string) => {
    output.push(line);
    if (opts.echo) process.stderr.write(`[${name}] ${line}\n`);
    for (const w of [...waiters]) {
      const m = line.match(w.pattern);
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  };
  createInterface({ input: child.stdout! }).on('line', onLine);
  createInterface({ input: child.stderr! }).on('line', onLine);
  return {
    name,
    child,
    output,
    waitForLine(pattern, timeoutMs = 60_000) {
      const seen = output.map((l) => l.match(pattern)).find(Boolean);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(new Error(`${name}: no line matching ${pattern} within ${timeoutMs} ms; last output:\n${output.slice(-20).join('\n')}`)),
          timeoutMs,
        );
        const onExit = (code: number | null) =>
          reject(new Error(`${name} exited (${code}) before printing ${pattern}:\n${output.slice(-20).join('\n')}`));
        child.once('exit', onExit);
        waiters.push({
          pattern,
          resolve: (m) => {
            clearTimeout(timer);
            child.off('exit', onExit);
            resolve(m);
          },
        });
      });
    },
    stop(signal = 'SIGTERM') {
      return new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
        const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', (code) => {
          clearTimeout(force);
          resolve(code);
        });
        child.kill(signal);
      });
    },
  };
}
