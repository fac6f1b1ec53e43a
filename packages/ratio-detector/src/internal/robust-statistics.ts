/**
 * Robust statistics for per-identity baselines: the median and the median absolute deviation resist the outliers
 * a baseline of real traffic is full of (a burst of updates, a quiet night), where a mean and a standard deviation
 * would be dragged along.
 */

/** The median of a non-empty list (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Location, scale and the robust z-score of one value against a history. */
export interface RobustScore {
  readonly median: number;
  /** The median absolute deviation (0 when more than half the history is the same value). */
  readonly mad: number;
  /** The standard-deviation-equivalent scale the z-score divides by (see {@link robustScore}). */
  readonly scale: number;
  readonly z: number;
}

/**
 * The modified z-score of Iglewicz and Hoaglin: `(x - median) / (1.4826 * MAD)`, where 1.4826 makes the MAD
 * estimate a standard deviation for normal data. When the MAD is 0, the mean absolute deviation times 1.2533 is
 * used instead (the same consistency for the mean deviation), and when that is 0 too (a constant history), `floor`:
 * without it any change from a constant history would be an infinite deviation.
 */
export function robustScore(x: number, history: readonly number[], floor: number): RobustScore {
  const m = median(history);
  const deviations = history.map((v) => Math.abs(v - m));
  const mad = median(deviations);
  let scale = 1.4826 * mad;
  if (scale === 0) scale = (1.2533 * deviations.reduce((s, v) => s + v, 0)) / deviations.length;
  scale = Math.max(scale, floor);
  return { median: m, mad, scale, z: (x - m) / scale };
}
