/**
 * Builds the `egressguard.detection` record: the flow's resource (so `host.name` stays), the detector's scope, an
 * OpenTelemetry severity, a sentence as body, and attributes that explain the decision without the code: the
 * MITRE ids, rule, finding, score and its parts, role, window, every number used (`evidence.*`), every threshold
 * compared (`threshold.*`), the thresholds that fired, and the process and novelty attributes of the flow.
 */
import {
  DetectionAttr,
  EventName,
  FlowAttr,
  NoveltyAttr,
  PipelineRecord,
  ProcessAttr,
  msToHrTime,
  type ReadonlyPipelineRecord,
  type RecordAttributes,
  type RecordScope,
} from '@egressguard/schema';

import { VERSION } from '../version.ts';
import type { Finding, RuleInput } from './finding.ts';
import { severityFor } from './score.ts';

/** The instrumentation scope of every detection (one shared object, so exporters group detections together). */
export const DETECTION_SCOPE: RecordScope = { name: '@egressguard/ratio-detector', version: VERSION };

/** MITRE ATT&CK detection strategy and technique of every rule here. */
export const STRATEGY = 'DET0053';
export const TECHNIQUE_ID = 'T1001';
export const TECHNIQUE_NAME = 'Data Obfuscation';

const COPIED: readonly string[] = [
  ...Object.values(ProcessAttr),
  ...Object.values(NoveltyAttr),
  FlowAttr.KEY,
];

/** Which version of a detection a record is. */
export interface DetectionVersion {
  /** 0 for the first emission, then 1, 2… for revisions of the same id. */
  readonly revision: number;
  /** The evidence is the closed window's. */
  readonly final: boolean;
  /** The detection's event time: the connection that crossed the thresholds, else the window end. */
  readonly timeMs: number;
}

/** The detection record of a finding about a flow. */
export function buildDetection(
  flow: ReadonlyPipelineRecord,
  input: RuleInput,
  finding: Finding,
  id: string,
  suppressedBefore: number,
  nowMs: number,
  version: DetectionVersion = { revision: 0, final: true, timeMs: input.facts.windowEnd },
): PipelineRecord {
  const f = input.facts;
  const attrs: RecordAttributes = {};
  for (const key of COPIED) {
    const value = flow.attributes[key];
    if (value !== undefined && value !== null) attrs[key] = value;
  }
  attrs[DetectionAttr.ID] = id;
  attrs[DetectionAttr.ANALYTIC] = finding.analytic;
  attrs[DetectionAttr.STRATEGY] = STRATEGY;
  attrs[DetectionAttr.TECHNIQUE_ID] = TECHNIQUE_ID;
  attrs[DetectionAttr.TECHNIQUE_NAME] = TECHNIQUE_NAME;
  attrs[DetectionAttr.RULE] = finding.rule;
  attrs[DetectionAttr.FINDING] = finding.finding;
  attrs[DetectionAttr.SCORE] = finding.score;
  attrs[DetectionAttr.REASON] = finding.reason;
  attrs[DetectionAttr.HOST_ROLE] = input.role.name;
  attrs[DetectionAttr.WINDOW_START] = f.windowStart;
  attrs[DetectionAttr.WINDOW_END] = f.windowEnd;
  attrs[DetectionAttr.SUPPRESSED_COUNT] = suppressedBefore;
  attrs[DetectionAttr.FIRED] = [...finding.fired];
  attrs[DetectionAttr.REVISION] = version.revision;
  attrs[DetectionAttr.FINAL] = version.final;

  const E = DetectionAttr.EVIDENCE_PREFIX;
  const evidence: Record<string, number | undefined> = {
    connections: f.connections,
    counted_connections: f.counted,
    external_connections: f.external,
    internal_connections: f.internal,
    completed_connections: f.completed,
    failed_connections: f.failed,
    open_connections: f.open,
    unknown_connections: f.unknown,
    connections_with_bytes: f.withBytes,
    answered_connections: f.bytesReceived !== undefined ? f.answered : undefined,
    bytes_sent: f.bytesSent,
    bytes_received: f.bytesReceived,
    bytes_received_per_connection: f.bytesReceivedPerConnection,
    received_to_sent_ratio: f.receivedToSent,
    destinations: f.destinations,
    interval_cv: f.intervalCv,
    interval_mean_ms: f.intervalMeanMs,
    active_span_ms: f.activeSpanMs,
    window_ms: f.windowMs,
    connections_per_hour: f.connectionsPerHour,
    revision: f.revision,
    ...finding.evidence,
  };
  for (const [name, value] of Object.entries(evidence)) if (value !== undefined) attrs[E + name] = value;
  for (const [part, value] of Object.entries(finding.scoreParts)) attrs[`${E}score_${part}`] = value;
  attrs[`${E}counted_scope`] = f.scope;
  if (input.qualification.status !== undefined) attrs[`${E}novelty_status`] = input.qualification.status;
  for (const [name, value] of Object.entries(finding.thresholds))
    attrs[DetectionAttr.THRESHOLD_PREFIX + name] = value;

  const severity = severityFor(finding.score);
  const time = msToHrTime(version.timeMs);
  return new PipelineRecord({
    hrTime: time,
    hrTimeObserved: msToHrTime(nowMs),
    severityNumber: severity.number,
    severityText: severity.text,
    body: finding.reason,
    eventName: EventName.DETECTION,
    attributes: attrs,
    resource: flow.resource,
    instrumentationScope: DETECTION_SCOPE,
  });
}
