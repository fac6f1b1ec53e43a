/**
 * Sibling rule after MITRE ATT&CK AN0146 (its macOS analytic): long-lived sessions with irregular timing. A flow
 * record carries no per-connection durations, so the rule says what it can from what the record has:
 * - long-lived: activity spanning most of the window (last minus first connection start), or connections still
 *   open when the window closed;
 * - irregular: intervals between connection starts with a coefficient of variation at or above a bound (a
 *   Poisson process has 1; a beacon is near 0), so a beacon does not fire here (AN0145 covers it).
 * A window without an interval cv (fewer than three connections) cannot be judged irregular and is let go.
 * Off by default.
 */
import type { RuleInput, RuleOutcome } from '../finding.ts';
import { noveltyPart, total } from '../score.ts';
import { connectionsPhrase, duration, num, subject } from '../text.ts';

const BASE = 40;
const MAX_IRREGULARITY_PART = 10;
const BOTH_LONG_PART = 5;

/** Judges one window with the long-session rule. */
export function judgeLongSession(input: RuleInput): RuleOutcome {
  const { facts: f, thresholds: t } = input;
  const cv = f.intervalCv;
  if (cv === undefined) return { skipped: 'no_intervals' };
  const bySpan = f.activeSpanMs !== undefined && f.activeSpanMs >= t.min_active_span_ms;
  const byOpen = f.open !== undefined && f.open >= t.min_open_connections;
  if (!bySpan && !byOpen) return { skipped: 'not_long_lived' };
  if (cv < t.min_interval_cv) return { skipped: 'not_irregular' };
  const scoreParts = {
    base: BASE,
    irregularity: Math.min(MAX_IRREGULARITY_PART, 10 * (cv - t.min_interval_cv)),
    long_lived: bySpan && byOpen ? BOTH_LONG_PART : 0,
    novelty: noveltyPart(input.qualification),
  };
  const lived: string[] = [];
  if (bySpan) lived.push(`active for ${duration(f.activeSpanMs)} (>= ${duration(t.min_active_span_ms)})`);
  if (byOpen)
    lived.push(`${f.open} connection${f.open === 1 ? '' : 's'} still open (>= ${t.min_open_connections})`);
  return {
    finding: {
      analytic: 'AN0146',
      rule: 'an0146_long_session',
      finding: 'long_session',
      score: total(scoreParts),
      scoreParts,
      fired: [
        ...(bySpan ? ['min_active_span_ms'] : []),
        ...(byOpen ? ['min_open_connections'] : []),
        'min_interval_cv',
      ],
      thresholds: {
        min_active_span_ms: t.min_active_span_ms,
        min_open_connections: t.min_open_connections,
        min_interval_cv: t.min_interval_cv,
      },
      evidence: {},
      reason: `AN0146 long-lived, irregular activity: ${subject(input)} made ${connectionsPhrase(f.counted, f.scope)} in ${duration(f.windowMs)}, ${lived.join(' and ')}, with irregular intervals (cv ${num(cv)} >= ${num(t.min_interval_cv)}).`,
    },
  };
}
