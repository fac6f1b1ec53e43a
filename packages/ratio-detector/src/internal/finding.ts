/**
 * What a rule found in one window, before it becomes a detection record: every number it used, every threshold it
 * compared, which ones fired and how the score was made, so the record alone explains the decision.
 */
import type { Thresholds } from '../config.ts';
import type { FlowFacts } from './flow-facts.ts';
import type { Qualification } from './qualification.ts';
import type { ResolvedRole } from './roles.ts';

/** MITRE ATT&CK analytics the rules implement. */
export type Analytic = 'AN0145' | 'AN0144' | 'AN0146';

/** One rule's finding about one window. */
export interface Finding {
  readonly analytic: Analytic;
  /** The rule (`an0145`, `adaptive`, `an0144_byte_ratio`, `an0146_long_session`, `overflow`). */
  readonly rule: string;
  /** What was found (`low_response`, `all_failed`, `many_connections_no_bytes`, …). */
  readonly finding: string;
  /** 0 to 100, rounded to one decimal: the sum of {@link Finding.scoreParts}, clamped. */
  readonly score: number;
  readonly scoreParts: Readonly<Record<string, number>>;
  /** A sentence an analyst can read. */
  readonly reason: string;
  /** Thresholds that fired, in the order the rule tested them. */
  readonly fired: readonly string[];
  /** Every threshold the rule compared against, by name. */
  readonly thresholds: Readonly<Record<string, number>>;
  /** Numbers the rule used beyond the flow's own (which every detection carries). */
  readonly evidence: Readonly<Record<string, number>>;
}

/** A rule's answer: a finding, or the name of the branch that let the window go (counted by the processor). */
export type RuleOutcome = { readonly finding: Finding } | { readonly skipped: string };

/** What every rule is given about a window. */
export interface RuleInput {
  readonly facts: FlowFacts;
  readonly qualification: Qualification;
  readonly thresholds: Thresholds;
  readonly role: ResolvedRole;
  /** The process as a reader names it: executable path, else name, else the flow key. */
  readonly process: string;
  /** Custom reasons from the novelty filter. */
  readonly customReasons: readonly string[];
}
