// Progress of long commands, on stderr only (stdout stays for results and --json): a redrawn bar
// with rate and ETA on a terminal, a plain line every few seconds otherwise, nothing with --quiet.

let quiet = false;

/** Set once per command from its `--quiet`. */
export function setQuiet(q: boolean): void {
  quiet = q;
}

export interface Progress {
  /** n more items done. */
  tick(n?: number): void;
  /** The last line (the bar cleared on a terminal). */
  done(): void;
}

const NONE: Progress = { tick() {}, done() {} };
// The interval of plain lines; TROPCERT_PROGRESS_MS overrides it (tests set 0 to see every line).
const PLAIN_EVERY_MS = /^\d+$/.test(process.env.TROPCERT_PROGRESS_MS ?? '')
  ? Number(process.env.TROPCERT_PROGRESS_MS)
  : 5000;
const TTY_EVERY_MS = 100;

function seconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${Math.ceil(s)}s`;
  const m = Math.floor(s / 60);
  return m < 60
    ? `${m}m${String(Math.ceil(s - 60 * m)).padStart(2, '0')}s`
    : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** A progress display for `total` items labelled `label` (stderr; a bar if stderr is a terminal). */
export function progress(label: string, total: number): Progress {
  if (quiet || total <= 0) return NONE;
  const err = process.stderr;
  const tty = err.isTTY === true;
  const start = Date.now();
  let done = 0;
  let finished = false;
  let drawn = -1;
  // A plain line first after PLAIN_EVERY_MS: a short run prints none.
  let last = tty ? 0 : start;
  const line = () => {
    const elapsed = (Date.now() - start) / 1000;
    const rate = elapsed > 0 ? done / elapsed : 0;
    const eta = rate > 0 ? (total - done) / rate : Number.POSITIVE_INFINITY;
    const pct = `${((100 * done) / total).toFixed(1)}%`;
    const speed = rate >= 1 || rate === 0 ? `${rate.toFixed(1)}/s` : `${(1 / rate).toFixed(1)} s each`;
    return `${done}/${total} (${pct}) ${speed} ETA ${done === total ? '0s' : seconds(eta)}`;
  };
  const draw = () => {
    drawn = done;
    if (tty) {
      const width = 24;
      const full = Math.round((width * done) / total);
      err.write(`\r${label} [${'#'.repeat(full)}${'.'.repeat(width - full)}] ${line()}\x1b[K`);
    } else err.write(`${label}: ${line()}\n`);
  };
  return {
    tick(n = 1) {
      done += n;
      const now = Date.now();
      if (now - last >= (tty ? TTY_EVERY_MS : PLAIN_EVERY_MS)) {
        last = now;
        draw();
      }
    },
    done() {
      if (finished) return;
      finished = true;
      if (tty) err.write('\r\x1b[K');
      else if (Date.now() - start >= PLAIN_EVERY_MS && drawn !== done) draw();
    },
  };
}

/** Is this piece of a REPORT (src/certify/run.ts reportPieces) one point's record? One tick each. */
export function isPointPiece(piece: string): boolean {
  return /^(,\n)?\{"index"/.test(piece);
}
