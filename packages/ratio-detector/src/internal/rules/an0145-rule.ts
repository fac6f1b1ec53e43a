/**
 * The default rule, MITRE ATT&CK AN0145: a process that is new or custom (and not allowlisted) opens many HTTP
 * connections and gets little back. RITA's lesson decides the order: attempts that all failed are a different
 * signal (an implant that cannot reach home), judged first and never counted as a low response.
 */
import type { Finding, RuleInput, RuleOutcome } from '../finding.ts';
import { noveltyPart, ratePart, total } from '../score.ts';
import { bytes, connectionsPhrase, duration, num, subject } from '../text.ts';

/** What the rule does when no counted connection carried byte counts. */
export type NoBytesMode = 'report' | 'skip';

/** Score bases: a full low response outranks all failures, which outrank a count without volume. */
const BASE = { low_response: 55, all_failed: 40, many_connections_no_bytes: 30 } as const;
const RESPONSE_PART = 5;
const REGULAR_PART = 10;

/** Regularity, when the flow carries an interval cv: a bonus and a clause of the sentence. */
function regularity(input: RuleInput): {
  fired: boolean;
  clause: string;
  thresholds: Record<string, number>;
} {
  const cv = input.facts.intervalCv;
  if (cv === undefined) return { fired: false, clause: '', thresholds: {} };
  const limit = input.thresholds.regular_interval_cv;
  const fired = cv <= limit;
  const every =
    input.facts.intervalMeanMs !== undefined ? ` every ${duration(input.facts.intervalMeanMs)}` : '';
  return {
    fired,
    clause: fired ? `; regular intervals${every} (cv ${num(cv)} <= ${num(limit)})` : '',
    thresholds: { regular_interval_cv: limit },
  };
}

/** Judges one window with the AN0145 rule. */
export function judgeAn0145(input: RuleInput, noBytes: NoBytesMode): RuleOutcome {
  const { facts: f, thresholds: t } = input;
  // An interim update is the window so far: the sentence must not claim the whole window.
  const window = f.interim
    ? `the first ${duration(Math.max(0, (f.triggerMs ?? f.lastSeen ?? f.windowStart) - f.windowStart))} of a ${duration(f.windowMs)} window`
    : duration(f.windowMs);
  const conns = connectionsPhrase(f.counted, f.scope);
  const reg = regularity(input);
  const tail = f.splitMissing
    ? '; no internal/external split on the flow, so all connections were counted'
    : '';

  if (f.failed !== undefined && f.counted > 0 && f.failed >= f.counted) {
    if (f.counted < t.min_failed_connections) return { skipped: 'all_failed_too_few' };
    const parts = {
      base: BASE.all_failed,
      rate: ratePart(f.counted, t.min_failed_connections),
      novelty: noveltyPart(input.qualification),
      regularity: reg.fired ? REGULAR_PART : 0,
    };
    return finding('all_failed', parts, {
      fired: ['min_failed_connections', ...(reg.fired ? ['regular_interval_cv'] : [])],
      thresholds: { min_failed_connections: t.min_failed_connections, ...reg.thresholds },
      reason: `AN0145 all connections failed: ${subject(input)} made ${conns} in ${window}, all failed (>= ${t.min_failed_connections}); an implant that cannot reach its server looks like this${reg.clause}${tail}.`,
    });
  }

  if (f.counted < t.min_connections) return { skipped: 'too_few_connections' };

  if (f.bytesReceived === undefined) {
    if (noBytes === 'skip') return { skipped: 'blind_no_bytes' };
    const parts = {
      base: BASE.many_connections_no_bytes,
      rate: ratePart(f.counted, t.min_connections),
      novelty: noveltyPart(input.qualification),
      regularity: reg.fired ? REGULAR_PART : 0,
    };
    return finding('many_connections_no_bytes', parts, {
      fired: ['min_connections', ...(reg.fired ? ['regular_interval_cv'] : [])],
      thresholds: { min_connections: t.min_connections, ...reg.thresholds },
      reason: `AN0145 many connections, volume unknown: ${subject(input)} made ${conns} in ${window} (>= ${t.min_connections}); the sensor reported no byte counts, so the response volume could not be judged${reg.clause}${tail}.`,
    });
  }

  const perConnection = f.bytesReceivedPerConnection;
  const ratio = f.receivedToSent;
  const lowPerConnection =
    perConnection !== undefined && perConnection <= t.max_bytes_received_per_connection;
  const lowRatio = ratio !== undefined && ratio <= t.max_received_to_sent_ratio;
  if (!lowPerConnection && !lowRatio) return { skipped: 'not_low_response' };

  const clauses: string[] = [];
  if (lowPerConnection) {
    clauses.push(
      `received ${bytes(perConnection)} per answered connection (<= ${bytes(t.max_bytes_received_per_connection)})`,
    );
  }
  if (lowRatio) clauses.push(`received/sent ${num(ratio)} (<= ${num(t.max_received_to_sent_ratio)})`);
  const parts = {
    base: BASE.low_response,
    rate: ratePart(f.counted, t.min_connections),
    response: (lowPerConnection ? RESPONSE_PART : 0) + (lowRatio ? RESPONSE_PART : 0),
    novelty: noveltyPart(input.qualification),
    regularity: reg.fired ? REGULAR_PART : 0,
  };
  return finding('low_response', parts, {
    fired: [
      'min_connections',
      ...(lowPerConnection ? ['max_bytes_received_per_connection'] : []),
      ...(lowRatio ? ['max_received_to_sent_ratio'] : []),
      ...(reg.fired ? ['regular_interval_cv'] : []),
    ],
    thresholds: {
      min_connections: t.min_connections,
      max_bytes_received_per_connection: t.max_bytes_received_per_connection,
      max_received_to_sent_ratio: t.max_received_to_sent_ratio,
      ...reg.thresholds,
    },
    reason: `AN0145 many connections, little back: ${subject(input)} made ${conns} in ${window} (>= ${t.min_connections}) and ${clauses.join(' and ')}${reg.clause}${tail}.`,
  });
}

function finding(
  name: Finding['finding'],
  scoreParts: Record<string, number>,
  rest: Pick<Finding, 'fired' | 'thresholds' | 'reason'>,
): RuleOutcome {
  return {
    finding: {
      analytic: 'AN0145',
      rule: 'an0145',
      finding: name,
      score: total(scoreParts),
      scoreParts,
      evidence: {},
      ...rest,
    },
  };
}
