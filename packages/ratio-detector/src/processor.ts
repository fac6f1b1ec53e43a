/**
 * The ratio detector: reads `egressguard.http_flow` records (passing them, and every other record, through
 * unchanged) and adds an `egressguard.detection` record for each finding of its rules. Stateful in three bounded
 * pieces, all snapshotted: suppression per key and finding, the ids already decided (so corrections never fire
 * twice), and the adaptive baselines. It holds no records, so a flush emits nothing.
 */
import {
  BaseProcessor,
  ConfigError,
  declineInterims,
  learningEndOf,
  type ProcessorContext,
  type ProcessorDescription,
} from '@egressguard/core';
import {
  DetectionAttr,
  EventName,
  FlowAttr,
  NoveltyAttr,
  ProcessAttr,
  ResourceAttr,
  get,
  getBool,
  getString,
  validateRecord,
  FLOW_RECORD,
  type PipelineRecord,
} from '@egressguard/schema';

import type { RatioDetectorConfig } from './config.ts';
import { AdaptiveBaselines } from './internal/adaptive-baseline.ts';
import { judgeAdaptive } from './internal/rules/adaptive-rule.ts';
import { judgeAn0145 } from './internal/rules/an0145-rule.ts';
import { judgeByteRatio } from './internal/rules/byte-ratio-rule.ts';
import { buildDetection } from './internal/detection-record.ts';
import { DecidedIds, detectionId } from './internal/detection-id.ts';
import type { RuleInput, RuleOutcome } from './internal/finding.ts';
import { readFlowFacts } from './internal/flow-facts.ts';
import { judgeLongSession } from './internal/rules/long-session-rule.ts';
import { overflowFinding } from './internal/overflow-finding.ts';
import { qualify, unqualifiedUntil } from './internal/qualification.ts';
import { RoleResolver } from './internal/roles.ts';
import { DetectionRevisions } from './internal/revisions.ts';
import { ratioDetectorState, type RatioDetectorState } from './internal/state.ts';
import { Suppression } from './internal/suppression.ts';

/** Every detection attribute, without the two prefix families. */
const { EVIDENCE_PREFIX, THRESHOLD_PREFIX, ...DETECTION_NAMES } = DetectionAttr;
const DETECTION_ATTRIBUTES = Object.values(DETECTION_NAMES);

/** What a record that fires nothing adds: shared, never changed. */
const NO_DETECTIONS: readonly PipelineRecord[] = Object.freeze([]);

/** What the ratio detector is and does. */
export const ratioDetectorDescription: ProcessorDescription = {
  type: 'ratio_detector',
  description:
    'Raises explainable detections (MITRE ATT&CK AN0145, DET0053, T1001) for new or custom processes whose HTTP flows show many connections and little data back, with all-failed, adaptive and sibling AN0144/AN0146 findings.',
  stability: 'alpha',
  reads: {
    events: [EventName.HTTP_FLOW],
    attributes: [
      ...Object.values(FlowAttr),
      NoveltyAttr.STATUS,
      NoveltyAttr.CUSTOM,
      NoveltyAttr.CUSTOM_REASONS,
      NoveltyAttr.IDENTITY,
      ProcessAttr.EXECUTABLE_PATH,
      ProcessAttr.EXECUTABLE_NAME,
      ResourceAttr.HOST_NAME,
      ResourceAttr.HOST_ROLE,
      ResourceAttr.HOST_TYPE,
    ],
  },
  writes: {
    events: [EventName.DETECTION],
    attributes: [...DETECTION_ATTRIBUTES, `${EVIDENCE_PREFIX}<name>`, `${THRESHOLD_PREFIX}<name>`],
  },
};

/** The window a flow record is about: host, key and window start. */
function windowKey(f: { readonly host: string; readonly key: string; readonly windowStart: number }): string {
  return `${f.host}\u0000${f.key}\u0000${f.windowStart}`;
}

/** The ratio detector processor. */
export class RatioDetectorProcessor extends BaseProcessor<RatioDetectorState> {
  private readonly config: RatioDetectorConfig;
  private readonly roles: RoleResolver;
  private readonly suppression: Suppression;
  private readonly decided: DecidedIds;
  private readonly baselines: AdaptiveBaselines;
  private readonly revisions: DetectionRevisions;

  constructor(config: RatioDetectorConfig, context: ProcessorContext) {
    super(context, ratioDetectorState);
    if (config.adaptive.history_windows < config.adaptive.min_windows) {
      throw new ConfigError([
        {
          path: 'adaptive.history_windows',
          message: `must be at least adaptive.min_windows (${config.adaptive.min_windows}), got ${config.adaptive.history_windows}`,
        },
      ]);
    }
    this.config = config;
    this.roles = new RoleResolver(config);
    this.suppression = new Suppression(config.suppress_ms, config.max_suppression_keys, () =>
      this.stats.count('suppression_evicted'),
    );
    this.decided = new DecidedIds(config.max_fired_ids, () => this.stats.count('decided_ids_evicted'));
    this.revisions = new DetectionRevisions(config.max_fired_ids, () =>
      this.stats.count('revisions_evicted'),
    );
    this.baselines = new AdaptiveBaselines(
      config.adaptive.max_identities,
      config.adaptive.history_windows,
      () => this.stats.count('adaptive_identity_evicted'),
    );
  }

  protected processBatch(batch: PipelineRecord[]): PipelineRecord[] {
    // The batch is copied only once something is added or consumed: `out` is then every record up to the current one.
    let out: PipelineRecord[] | undefined;
    for (let i = 0; i < batch.length; i++) {
      const record = batch[i];
      const flow = record.eventName === EventName.HTTP_FLOW;
      const detections = flow ? this.judgeSafely(record) : NO_DETECTIONS;
      // An interim update has served its purpose once judged: the window record follows.
      const consumed =
        flow &&
        this.config.interim_flows === 'consume' &&
        getBool(record.attributes, FlowAttr.INTERIM) === true;
      if (consumed) this.stats.drop('interim_flow');
      if (detections.length > 0 || consumed) {
        out ??= batch.slice(0, i);
        // Detections follow their flow.
        if (!consumed) out.push(record);
        out.push(...detections);
      } else out?.push(record);
    }
    return out ?? batch;
  }

  /** Judges one flow record; a rule that throws is reported and the flow passes on unjudged. */
  private judgeSafely(record: PipelineRecord): readonly PipelineRecord[] {
    try {
      return this.judge(record);
    } catch (cause) {
      this.report(
        'judge_failed',
        `flow ${getString(record.attributes, FlowAttr.KEY) ?? '(no key)'} passed through unjudged`,
        cause,
      );
      return [];
    }
  }

  /** Judges one flow record (a window, a correction or an interim update) and returns its detections. */
  private judge(record: PipelineRecord): readonly PipelineRecord[] {
    const interim = getBool(record.attributes, FlowAttr.INTERIM) === true;
    this.stats.count(interim ? 'interim_flows_judged' : 'flows_judged');
    // An interim update of a process that does not qualify can fire nothing (its window record is judged, and
    // checked, when it closes): most updates are of such processes, so they cost no more than this.
    const qualification = qualify(record.attributes, this.config.qualify);
    if (interim && !qualification.qualifies) {
      // A process that stays unqualified for the rest of the window (allowlisted, or established), or until the
      // learning period ends: the aggregator is told to make no more updates of it, or none before then, that this
      // detector would consume unjudged. Not while updates are passed on: who reads them downstream gets them all.
      if (this.config.interim_flows === 'consume') {
        const until = unqualifiedUntil(qualification, this.config.qualify, learningEndOf(record));
        if (until !== undefined && declineInterims(record, until))
          this.stats.count('interim_windows_declined');
      }
      return NO_DETECTIONS;
    }
    const problems = validateRecord(record, FLOW_RECORD);
    if (problems.length > 0) {
      this.report(
        'malformed_flow',
        `flow passed through unjudged: ${problems.map((p) => p.message).join('; ')}`,
      );
      return [];
    }
    const facts = readFlowFacts(record, this.config.count);
    const role = this.roles.resolve(record.resource);
    const attrs = record.attributes;
    const input: RuleInput = {
      facts,
      qualification,
      thresholds: role.thresholds,
      role,
      process:
        get(attrs, ProcessAttr.EXECUTABLE_PATH) ?? get(attrs, ProcessAttr.EXECUTABLE_NAME) ?? facts.key,
      customReasons: get(attrs, NoveltyAttr.CUSTOM_REASONS) ?? [],
    };
    const outcomes = interim ? this.interimOutcomes(input) : this.windowOutcomes(input, record);
    return interim ? this.decideInterim(record, input, outcomes) : this.decide(record, input, outcomes);
  }

  /**
   * The rules' outcomes for a window record (or a correction). Skips are outcomes too, so that the window's close
   * is handled whatever the rules say.
   */
  private windowOutcomes(input: RuleInput, record: PipelineRecord): RuleOutcome[] {
    const { facts } = input;
    if (!input.role.enabled) return [{ skipped: 'role_disabled' }];
    if (facts.splitMissing) this.stats.count('no_destination_split');
    const outcomes: RuleOutcome[] = [];
    if (facts.overflow) {
      if (this.config.overflow === 'ignore') return [{ skipped: 'overflow_ignored' }];
      if (this.config.overflow === 'report') return [overflowFinding(input)];
    }
    if (facts.counted === 0)
      return [
        {
          skipped:
            facts.scope === 'external' && (facts.internal ?? 0) > 0 ? 'internal_only' : 'no_connections',
        },
      ];

    if (
      this.config.adaptive.enabled &&
      !facts.overflow &&
      (!input.qualification.allowlisted || this.config.qualify.allowlisted)
    ) {
      const identity = `${facts.host}\u0000${get(record.attributes, NoveltyAttr.IDENTITY) ?? facts.key}`;
      outcomes.push(
        judgeAdaptive(input, this.baselines.history(identity, facts.windowStart), this.config.adaptive),
      );
      this.baselines.record(identity, [facts.windowStart, facts.counted, facts.receivedToSent ?? null]);
    }
    if (!input.qualification.qualifies) {
      outcomes.push({ skipped: `not_qualified_${input.qualification.why.replace(/ /g, '_')}` });
    } else {
      const rules = this.config.rules;
      if (rules.an0145.enabled) outcomes.push(judgeAn0145(input, rules.an0145.no_bytes));
      if (rules.an0144_byte_ratio.enabled) outcomes.push(judgeByteRatio(input));
      if (rules.an0146_long_session.enabled) outcomes.push(judgeLongSession(input));
    }
    return outcomes;
  }

  /**
   * An interim update is judged by AN0145 alone: its counts only grow while the window is open, so the update that
   * crosses a threshold is the connection that crossed it. The adaptive mode compares whole windows, and AN0144 and
   * AN0146 are judged on the closed window (a connection open at an interim update is no long session).
   */
  private interimOutcomes(input: RuleInput): RuleOutcome[] {
    const { facts } = input;
    if (!input.role.enabled || facts.overflow || facts.counted === 0 || !input.qualification.qualifies)
      return [];
    const rules = this.config.rules;
    return rules.an0145.enabled ? [judgeAn0145(input, rules.an0145.no_bytes)] : [];
  }

  /** Fires what an interim update crossed: once per id, past the suppression; skips are not counted. */
  private decideInterim(
    record: PipelineRecord,
    input: RuleInput,
    outcomes: readonly RuleOutcome[],
  ): PipelineRecord[] {
    const detections: PipelineRecord[] = [];
    const f = input.facts;
    for (const outcome of outcomes) {
      if ('skipped' in outcome) continue;
      const finding = outcome.finding;
      const id = detectionId(f.host, f.key, f.windowStart, finding.rule, finding.finding);
      // Fired (or suppressed) on an earlier update of this window: the window's close revises it.
      if (this.decided.has(id)) continue;
      this.decided.add(id);
      const decision = this.suppression.decide(
        `${f.host}\u0000${f.key}\u0000${finding.finding}`,
        f.windowEnd,
      );
      if (!decision.emit) {
        this.stats.count('suppressed');
        continue;
      }
      const timeMs = f.triggerMs ?? f.lastSeen ?? f.windowEnd;
      this.stats.count(`detection_${finding.finding}`);
      this.stats.count('detections_interim');
      this.revisions.emittedFirst(id, timeMs);
      this.revisions.fireInterim(windowKey(f), { id, timeMs, finding });
      detections.push(
        buildDetection(record, input, finding, id, decision.suppressedBefore, this.context.now(), {
          revision: 0,
          final: false,
          timeMs,
        }),
      );
    }
    return detections;
  }

  /**
   * Turns a window's findings into detections past the decided ids and the suppression, revises the detections
   * already emitted for it, and counts every skipped branch.
   */
  private decide(
    record: PipelineRecord,
    input: RuleInput,
    outcomes: readonly RuleOutcome[],
  ): PipelineRecord[] {
    const detections: PipelineRecord[] = [];
    const f = input.facts;
    const revised = new Set<string>();
    const now = this.context.now();
    for (const outcome of outcomes) {
      if ('skipped' in outcome) {
        this.stats.count(outcome.skipped);
        continue;
      }
      const finding = outcome.finding;
      const id = detectionId(f.host, f.key, f.windowStart, finding.rule, finding.finding);
      const next = this.revisions.next(id);
      if (next) {
        revised.add(id);
        this.stats.count('detection_revisions');
        detections.push(buildDetection(record, input, finding, id, 0, now, { ...next, final: true }));
        continue;
      }
      if (!this.decided.add(id)) {
        this.stats.count('already_decided');
        continue;
      }
      const decision = this.suppression.decide(
        `${f.host}\u0000${f.key}\u0000${finding.finding}`,
        f.windowEnd,
      );
      if (!decision.emit) {
        this.stats.count('suppressed');
        continue;
      }
      this.stats.count(`detection_${finding.finding}`);
      this.revisions.emittedFirst(id, f.windowEnd);
      detections.push(buildDetection(record, input, finding, id, decision.suppressedBefore, now));
    }
    // A detection fired while the window was open is revised with the closed window's evidence even when the rules
    // no longer fire on it (a large answer came later): the analyst sees why, on the same id.
    for (const open of this.revisions.close(windowKey(f))) {
      if (revised.has(open.id)) continue;
      const next = this.revisions.next(open.id) ?? { revision: 1, timeMs: open.timeMs };
      const why =
        outcomes.find((o): o is { skipped: string } => 'skipped' in o)?.skipped ?? 'another finding';
      this.stats.count('detection_revisions');
      this.stats.count('detection_revisions_no_longer_firing');
      detections.push(
        buildDetection(
          record,
          input,
          {
            ...open.finding,
            reason: `${open.finding.reason} When the window closed the finding no longer held (${why.replace(/_/g, ' ')}); the evidence is the closed window's.`,
          },
          open.id,
          0,
          now,
          { ...next, final: true },
        ),
      );
    }
    return detections;
  }

  protected override snapshotState(): RatioDetectorState {
    return {
      suppression: this.suppression.toJSON(),
      decided: this.decided.toJSON(),
      baselines: this.baselines.toJSON(),
      revisions: this.revisions.toJSON(),
    };
  }

  protected override restoreState(state: RatioDetectorState): void {
    this.suppression.load(state.suppression);
    this.decided.load(state.decided);
    this.baselines.load(state.baselines);
    this.revisions.load(state.revisions);
  }

  protected override stateSize(): { entries: number; bytes: number; maxEntries: number } {
    const samples = this.baselines.sampleCount();
    const entries = this.suppression.size + this.decided.size + this.baselines.size + this.revisions.size;
    // Rough per-entry costs in V8: a map entry with a short string key and a small array (~120 B), an id (~100 B),
    // a baseline sample array (~50 B).
    return {
      entries,
      // An open detection keeps its finding (reason sentence, thresholds, score parts): about 1 KiB.
      bytes:
        this.suppression.size * 120 +
        this.decided.size * 100 +
        this.baselines.size * 120 +
        samples * 50 +
        this.revisions.size * 600,
      maxEntries:
        this.config.max_suppression_keys +
        3 * this.config.max_fired_ids +
        this.config.adaptive.max_identities,
    };
  }
}
