/**
 * Whether the rules judge a flow's process at all, from what the novelty filter wrote: the analytic is about
 * "custom or previously unseen" processes, and RITA's lesson is to allowlist by process identity, never by address.
 */
import { NoveltyAttr, NoveltyStatus, get, type ReadonlyRecordAttributes } from '@egressguard/schema';

import type { RatioDetectorConfig } from '../config.ts';

/** The decision and what it rests on. */
export interface Qualification {
  readonly qualifies: boolean;
  /** The novelty status, or `undefined` when the record carried none. */
  readonly status: string | undefined;
  readonly custom: boolean;
  readonly allowlisted: boolean;
  /** Why, in a few words (`custom`, `status new`, `allowlisted`, `status known`, `no novelty status`). */
  readonly why: string;
}

/** The reason of a process that does not qualify because the baseline is still learning. */
const LEARNING_PERIOD = 'learning period';

/** Decides whether a flow's process qualifies for the rules. */
export function qualify(
  attrs: ReadonlyRecordAttributes,
  config: RatioDetectorConfig['qualify'],
): Qualification {
  const status = get(attrs, NoveltyAttr.STATUS);
  const custom = get(attrs, NoveltyAttr.CUSTOM) === true;
  const allowlisted = status === NoveltyStatus.ALLOWLISTED;
  // Allowlisted wins over custom: an operator who allowlisted a home-built agent has said what it is.
  if (allowlisted) return { qualifies: config.allowlisted, status, custom, allowlisted, why: 'allowlisted' };
  // A custom executable the baseline has established (seen over its maturity span) is the site's own software: the
  // user process baseline, AN0145's tuning knob, has accepted it. Elastic's "suspicious executable" rules likewise
  // judge only what is unusual by new-terms history.
  if (custom && config.custom && (status !== NoveltyStatus.KNOWN || config.custom_known))
    return { qualifies: true, status, custom, allowlisted, why: 'custom' };
  if (status === undefined)
    return { qualifies: config.missing_status, status, custom, allowlisted, why: 'no novelty status' };
  // While the baseline learns, "rare" only means "not seen often yet": judging it would flag every program the
  // first day after installation.
  if (get(attrs, NoveltyAttr.LEARNING) === true && !config.during_learning) {
    return { qualifies: false, status, custom, allowlisted, why: LEARNING_PERIOD };
  }
  const listed = (config.statuses as readonly string[]).includes(status);
  return {
    qualifies: listed,
    status,
    custom,
    allowlisted,
    why: STATUS_WHY.get(status) ?? `status ${status}`,
  };
}

/**
 * Whether a process that does not qualify stays so for the rest of its window, whatever comes: the updates of its
 * window can then fire nothing, and their maker may stop making them. Allowlisted: the allowlist matches the
 * executable, which every update of a window carries alike. Known (established): the baseline's counts only grow,
 * so a known identity stays known, and known does not qualify unless it is listed or a custom executable may qualify
 * when known (whether it is custom rests on package databases that can change). The one way back is the baseline
 * evicting the identity when full (`baseline_full`, reported): it would then look new again and its detection would
 * come at the window's close instead of at the crossing connection. Rare, new and learning can all change.
 */
export function staysUnqualified(q: Qualification, config: RatioDetectorConfig['qualify']): boolean {
  if (q.qualifies) return false;
  if (q.allowlisted) return true;
  return (
    q.status === NoveltyStatus.KNOWN &&
    !(config.statuses as readonly string[]).includes(NoveltyStatus.KNOWN) &&
    !(config.custom && config.custom_known)
  );
}

/**
 * Until when the updates of a window whose update did not qualify can fire nothing, event time in ms:
 * `Infinity` when it stays unqualified ({@link staysUnqualified}); the end of the learning period when it did not
 * qualify for learning alone and the novelty filter said, beside the update, when that ends and that the rest of its
 * answer holds until then (`learningEndMs`: its custom verdict read none of this machine's files); else `undefined`,
 * nothing can be declined. While learning, status does not count, and with the custom verdict fixed, nothing can make
 * the window qualify before the period ends; from then on its updates are judged by status again.
 */
export function unqualifiedUntil(
  q: Qualification,
  config: RatioDetectorConfig['qualify'],
  learningEndMs: number | undefined,
): number | undefined {
  if (staysUnqualified(q, config)) return Number.POSITIVE_INFINITY;
  return q.why === LEARNING_PERIOD ? learningEndMs : undefined;
}

/** `status <status>` of the novelty filter's statuses, named once rather than at every flow. */
const STATUS_WHY: ReadonlyMap<string, string> = new Map(
  Object.values(NoveltyStatus).map((status) => [status, `status ${status}`]),
);
