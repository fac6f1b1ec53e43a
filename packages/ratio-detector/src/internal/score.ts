/**
 * Scores and severities. A score is a sum of named parts (a base per finding, then bonuses), clamped to 0..100 and
 * rounded to one decimal; each part is written into the detection as evidence `score_<part>`, so the number can be
 * recomputed from the alert. Severity is a band of the score, as an OpenTelemetry SeverityNumber.
 */
import type { Qualification } from './qualification.ts';

/** OpenTelemetry severity of a detection. */
export interface Severity {
  readonly number: number;
  readonly text: 'low' | 'medium' | 'high' | 'critical';
}

/**
 * Score bands to OpenTelemetry SeverityNumber: INFO (9) for low, WARN (13) medium, ERROR (17) high, FATAL (21)
 * critical, the first number of each range of the log data model.
 */
export function severityFor(score: number): Severity {
  if (score >= 90) return { number: 21, text: 'critical' };
  if (score >= 70) return { number: 17, text: 'high' };
  if (score >= 40) return { number: 13, text: 'medium' };
  return { number: 9, text: 'low' };
}

/** Novelty bonus: custom executables +10, never-seen identities +5 (both add). */
export function noveltyPart(q: Qualification): number {
  return (q.custom ? 10 : 0) + (q.status === 'new' ? 5 : 0);
}

/** How far a count passed its minimum: +7.5 per doubling, at most +15. */
export function ratePart(count: number, minimum: number): number {
  if (count <= minimum || minimum <= 0) return 0;
  return Math.min(15, 7.5 * Math.log2(count / minimum));
}

/** The sum of the parts, clamped to 0..100 and rounded to one decimal. */
export function total(parts: Readonly<Record<string, number>>): number {
  let sum = 0;
  for (const v of Object.values(parts)) sum += v;
  return Math.round(Math.min(100, Math.max(0, sum)) * 10) / 10;
}
