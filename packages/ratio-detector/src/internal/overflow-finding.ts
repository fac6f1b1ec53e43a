/**
 * The overflow finding: the aggregator ran out of keys and folded several processes into one record. Nothing in it
 * says which process did what, so no rule can judge it per process; but a host that overflows is a blind spot an
 * implant could hide in (or cause), so by default it is reported, at low severity, instead of vanishing.
 */
import type { RuleInput, RuleOutcome } from './finding.ts';
import { total } from './score.ts';
import { connectionsPhrase, duration } from './text.ts';

/** Fixed: a blind spot to look at, never an alert on its own. */
const BASE = 20;

/** The overflow finding for an overflow flow record. */
export function overflowFinding(input: RuleInput): RuleOutcome {
  const f = input.facts;
  const scoreParts = { base: BASE };
  return {
    finding: {
      analytic: 'AN0145',
      rule: 'overflow',
      finding: 'overflow',
      score: total(scoreParts),
      scoreParts,
      fired: [],
      thresholds: {},
      evidence: {},
      reason: `Blind spot: on ${f.host || 'an unnamed host'} (role ${input.role.name}) the flow aggregator ran out of keys and folded ${connectionsPhrase(f.counted, f.scope)} in ${duration(f.windowMs)} into one overflow record; they could not be judged per process. Raise the aggregator's key bound.`,
    },
  };
}
