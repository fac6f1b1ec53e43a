/**
 * The adaptive mode of AN0145: each identity against its own past, so a process that always makes 40 calls a
 * window is not flagged for 40 and one that makes 2 is flagged for 30. Fires `adaptive_deviation` when the
 * connections counted rise, or the received/sent ratio falls, past the robust z-score threshold, once the identity
 * has `min_windows` of history.
 */
import type { RatioDetectorConfig } from '../../config.ts';
import type { BaselineSample } from '../adaptive-baseline.ts';
import type { RuleInput, RuleOutcome } from '../finding.ts';
import { median, robustScore, type RobustScore } from '../robust-statistics.ts';
import { noveltyPart, total } from '../score.ts';
import { connectionsPhrase, duration, num, subject } from '../text.ts';

const BASE = 45;
const MAX_DEVIATION_PART = 20;
const BOTH_PART = 5;
/** Scale floors when the history is constant: a tenth of the median, at least one connection or a ratio of 0.01. */
const CONNECTIONS_FLOOR = 1;
const RATIO_FLOOR = 0.01;

/** Judges one window against the identity's history (which excludes the window itself). */
export function judgeAdaptive(
  input: RuleInput,
  history: readonly BaselineSample[],
  config: RatioDetectorConfig['adaptive'],
): RuleOutcome {
  const f = input.facts;
  if (history.length < config.min_windows) return { skipped: 'adaptive_learning' };
  if (f.counted < config.min_connections) return { skipped: 'adaptive_too_few_connections' };
  const t = config.deviation_threshold;
  const connectionsHistory = history.map((s) => s[1]);
  const conn = robustScore(
    f.counted,
    connectionsHistory,
    Math.max(CONNECTIONS_FLOOR, 0.1 * median(connectionsHistory)),
  );
  const ratios = history.map((s) => s[2]).filter((r): r is number => r !== null);
  let ratio: RobustScore | undefined;
  if (f.receivedToSent !== undefined && ratios.length >= config.min_windows) {
    ratio = robustScore(f.receivedToSent, ratios, Math.max(RATIO_FLOOR, 0.1 * median(ratios)));
  }
  const connFired = conn.z >= t;
  const ratioFired = ratio !== undefined && ratio.z <= -t;
  if (!connFired && !ratioFired) return { skipped: 'adaptive_within_baseline' };

  const excess = Math.max(connFired ? conn.z - t : 0, ratioFired ? -ratio!.z - t : 0);
  const scoreParts = {
    base: BASE,
    deviation: Math.min(MAX_DEVIATION_PART, 4 * excess),
    both: connFired && ratioFired ? BOTH_PART : 0,
    novelty: noveltyPart(input.qualification),
  };
  const clauses: string[] = [];
  if (connFired) {
    clauses.push(
      `made ${connectionsPhrase(f.counted, f.scope)} in ${duration(f.windowMs)} against a median of ${num(conn.median, 1)} (robust z ${num(conn.z, 1)} >= ${num(t, 1)})`,
    );
  }
  if (ratioFired) {
    clauses.push(
      `got received/sent ${num(f.receivedToSent!)} against a median of ${num(ratio!.median)} (robust z ${num(ratio!.z, 1)} <= -${num(t, 1)})`,
    );
  }
  const evidence: Record<string, number> = {
    baseline_windows: history.length,
    connections_median: conn.median,
    connections_mad: conn.mad,
    connections_scale: conn.scale,
    connections_z: conn.z,
  };
  if (ratio) {
    evidence.ratio_baseline_windows = ratios.length;
    evidence.ratio_median = ratio.median;
    evidence.ratio_mad = ratio.mad;
    evidence.ratio_scale = ratio.scale;
    evidence.ratio_z = ratio.z;
  }
  const thresholds: Record<string, number> = {
    min_windows: config.min_windows,
    adaptive_min_connections: config.min_connections,
    connections_z: t,
  };
  if (ratio) thresholds.ratio_z = -t;
  return {
    finding: {
      analytic: 'AN0145',
      rule: 'adaptive',
      finding: 'adaptive_deviation',
      score: total(scoreParts),
      scoreParts,
      fired: [
        'min_windows',
        'adaptive_min_connections',
        ...(connFired ? ['connections_z'] : []),
        ...(ratioFired ? ['ratio_z'] : []),
      ],
      thresholds,
      evidence,
      reason: `AN0145 deviation from its own baseline: ${subject(input)} ${clauses.join(' and ')}, over its last ${history.length} windows.`,
    },
  };
}
