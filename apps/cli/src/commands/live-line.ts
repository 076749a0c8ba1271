export interface Output {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

/** Redraws of the live line are at most this often: a redraw per batch would flood a slow TTY. */
const REDRAW_MS = 250;
/** Without a TTY, a progress line for long passes this often. */
const PLAIN_LINE_MS = 30_000;
const BAR_WIDTH = 20;

export interface LiveLine {
  /** A line that stays (it replaces the live line on a TTY). */
  keep(text: string): void;
  /** On a TTY, redraws the live line in place; elsewhere (logs, CI) a plain line now and then. */
  update(text: string): void;
}

/** Progress output for long work: one live line on a TTY, plain lines only elsewhere. */
export function liveLine(out: Output, now: () => number = Date.now): LiveLine {
  const tty = out.isTTY === true;
  let live = false;
  let lastDraw = -Infinity;
  let lastPlain = -Infinity;
  return {
    keep(text) {
      out.write(tty && live ? `\r\x1b[2K${text}\n` : `${text}\n`);
      live = false;
    },
    update(text) {
      const t = now();
      if (tty) {
        if (t - lastDraw < REDRAW_MS) return;
        lastDraw = t;
        out.write(`\r\x1b[2K${text}`);
        live = true;
      } else if (t - lastPlain >= PLAIN_LINE_MS) {
        lastPlain = t;
        out.write(`${text}\n`);
      }
    },
  };
}

export function bar(fraction: number): string {
  const full = Math.round(Math.min(1, Math.max(0, fraction)) * BAR_WIDTH);
  return `${'█'.repeat(full)}${'░'.repeat(BAR_WIDTH - full)} ${String(Math.floor(fraction * 100)).padStart(3)}%`;
}
