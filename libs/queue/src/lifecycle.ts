/**
 * A fault after which the process must not go on (an engine that fails every batch, a model that
 * cannot load): the service that finds it raises it, and the app's entry point (main.ts), which
 * alone owns the process, closes the app so that every pool drains before it exits non-zero.
 * A listener added after the signal was raised hears it at once, so a fault found while the app
 * is still starting is not missed.
 */
export class FatalSignal {
  private why: Error | null = null;
  private readonly listeners: Array<(why: Error) => void> = [];

  raise(why: Error): void {
    if (this.why) return;
    this.why = why;
    for (const listener of this.listeners) listener(why);
  }

  onRaised(listener: (why: Error) => void): void {
    this.listeners.push(listener);
    if (this.why) listener(this.why);
  }

  get raised(): Error | null {
    return this.why;
  }
}

/** What the process still waits for before it serves (a pool whose model is not yet warm); its
 * `GET /ready` answers 503 until nothing is left, and again once a fatal fault was raised. */
export class Readiness {
  private readonly waiting = new Set<string>();

  constructor(private readonly fatal: FatalSignal) {}

  /** `what` keeps the process unready until `until` is fulfilled; for ever if it rejects. */
  waitFor(what: string, until: Promise<unknown>): void {
    this.waiting.add(what);
    until.then(
      () => this.waiting.delete(what),
      () => undefined,
    );
  }

  get ready(): boolean {
    return this.waiting.size === 0 && !this.fatal.raised;
  }

  get waitingFor(): string[] {
    return [...this.waiting];
  }
}

/** The closing of an app (Nest's `app.close()`: every pool stops taking jobs and lets the ones it
 * holds finish, then the clients close) that main.ts runs when the signal is raised. */
export interface Closable {
  close(): Promise<void>;
}

/** How long closing after a fatal fault may take before the process exits anyway: a native call
 * that never returns (a hung GPU) can keep an engine's thread from ending, and a process stuck
 * closing still answers its liveness probe. */
export const FATAL_CLOSE_MS = 60_000;

/** Wires a FatalSignal to the app: on a fault, logs it, closes the app (bounded by `closeMs`),
 * then calls `exit(1)`; main.ts passes `process.exit`. */
export function closeOnFatal(
  fatal: FatalSignal,
  app: Closable,
  opts: { log: (line: string) => void; exit: (code: number) => void; closeMs?: number },
): void {
  fatal.onRaised((why) => {
    opts.log(`${why.message}; closing the pools before exiting`);
    const bound = setTimeout(() => {
      opts.log(`closing took longer than ${opts.closeMs ?? FATAL_CLOSE_MS} ms; exiting without waiting`);
      opts.exit(1);
    }, opts.closeMs ?? FATAL_CLOSE_MS);
    bound.unref();
    app
      .close()
      .then(
        () => opts.log('closed; exiting 1'),
        (e: Error) => opts.log(`closing failed: ${e.message}`),
      )
      .finally(() => {
        clearTimeout(bound);
        opts.exit(1);
      });
  });
}
