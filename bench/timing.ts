// Interleaved timing shared by the benchmarks: contenders alternate in rounds inside one process,
// so background load slows them alike and their ratio stays meaningful.
import { median, now, sig } from './report.ts';

export interface Timing {
  /** Total timed milliseconds and points. */
  ms: number;
  points: number;
  /** ms per point of each round. */
  rounds: number[];
}

export const newTiming = (): Timing => ({ ms: 0, points: 0, rounds: [] });

export function record(t: Timing, ms: number, points: number): void {
  t.ms += ms;
  t.points += points;
  t.rounds.push(ms / points);
}

/** Mean ms per point. */
export const msPerPoint = (t: Timing): number => t.ms / t.points;

export interface Contender {
  /** One call handles `perCall` points. */
  readonly run: () => void;
  /** Minimum timed seconds. */
  readonly seconds: number;
}

/**
 * Alternates rounds of the contenders until each has run its minimum time, so that machine noise
 * hits all alike. The first runs once per round; the others repeat, calibrated so that their share
 * of a round is about their share of the minimum times (×1.5, so they finish no later). At least
 * one round runs, however long.
 */
export function interleave(
  contenders: readonly Contender[],
  perCall: number,
  options: {
    /** ms per call of the first contender, if already known: skips its calibration (for slow ones). */
    readonly firstCallMs?: number;
  } = {},
): Timing[] {
  const callMs = contenders.map((c, k) => {
    if (k === 0 && options.firstCallMs !== undefined) return options.firstCallMs;
    let calls = 0;
    const t0 = now();
    do {
      c.run();
      calls++;
    } while (now() - t0 < 50);
    return (now() - t0) / calls;
  });
  const base = contenders[0];
  const reps = contenders.map((c, k) =>
    k === 0 ? 1 : Math.max(1, Math.round((callMs[0] * (c.seconds / base.seconds) * 1.5) / callMs[k])),
  );
  const timings = contenders.map(newTiming);
  while (contenders.some((c, k) => timings[k].ms < c.seconds * 1000)) {
    contenders.forEach((c, k) => {
      const t0 = now();
      for (let r = 0; r < reps[k]; r++) c.run();
      record(timings[k], now() - t0, perCall * reps[k]);
    });
  }
  return timings;
}

/** One table row: name, points/s, ms/point, median round, round range, points, timed s, ref ÷ this. */
export function timingRow(name: string, t: Timing, ref?: Timing): string[] {
  const ms = msPerPoint(t);
  return [
    name,
    sig(1000 / ms),
    sig(ms),
    sig(median(t.rounds)),
    `${sig(Math.min(...t.rounds))}–${sig(Math.max(...t.rounds))}`,
    String(t.points),
    (t.ms / 1000).toFixed(2),
    ref ? `${sig(msPerPoint(ref) / ms)}×` : '',
  ];
}

export const TIMING_HEADER = ['', 'points/s', 'ms/point', 'median', 'round range', 'points', 'timed s'];
