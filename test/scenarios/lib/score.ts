/**
 * Scores detections against a scenario's labels. The unit is the labelled actor (one program, possibly many
 * processes): a malicious actor with at least one detection is a true positive, one without is a false negative,
 * a benign actor with a detection is a false positive.
 */
import { basename } from 'node:path';

import {
  DetectionAttr,
  ProcessAttr,
  eventTimeMs,
  getInt,
  getString,
  type PipelineRecord,
} from '@egressguard/schema';

/** An actor of labels.json. */
export interface LabelledActor {
  readonly name: string;
  readonly label: 'benign' | 'malicious';
  readonly behaviour: string;
  readonly executable: string;
  readonly pids: readonly number[];
  readonly firstStartMs: number;
}

/** A scenario's labels.json. */
export interface ScenarioLabels {
  readonly scenario: string;
  readonly description: string;
  readonly host: string;
  readonly actors: readonly LabelledActor[];
  /** When the recording's last process ended (recordings made before it was written: the span is estimated). */
  readonly endMs?: number;
  /** How the evaluation judges it: `after_learning` replays a learning day before the recording first. */
  readonly evaluation?: { readonly judge?: 'fresh' | 'after_learning' };
}

/** What one scenario scored. */
export interface ScenarioScore {
  readonly scenario: string;
  readonly truePositives: string[];
  readonly falseNegatives: string[];
  readonly falsePositives: string[];
  /** Distinct detections (ids): revisions of a detection are not more alerts. */
  readonly detections: number;
  readonly unmatchedDetections: number;
  /** Benign actors times the scenario's span, in hours. */
  readonly benignProcessHours: number;
  /**
   * Per detected malicious actor, for its first detection: how far the input had advanced in event time when the
   * detection left the chain, past the connection that crossed the thresholds (the detection's own time).
   */
  readonly latencyFromCrossingMs: Record<string, number>;
  /** The same emission, past the actor's start (its first connection follows at once). */
  readonly latencyFromStartMs: Record<string, number>;
  /** Detections dated before the judged recording (during a replayed learning day): not scored. */
  readonly learningDetections: number;
}

/** A detection record and how far the input had advanced when it left the chain. */
export interface EmittedDetection {
  readonly record: PipelineRecord;
  readonly streamMs: number;
}

/** Finds the actor a detection is about: by executable path, then pid, then executable name (comm). */
export function actorOf(
  detection: PipelineRecord,
  actors: readonly LabelledActor[],
): LabelledActor | undefined {
  const path = getString(detection.attributes, ProcessAttr.EXECUTABLE_PATH);
  if (path) {
    const byPath = actors.find((a) => a.executable === path);
    if (byPath) return byPath;
  }
  const pid = getInt(detection.attributes, ProcessAttr.PID);
  if (pid !== undefined) {
    const byPid = actors.find((a) => a.pids.includes(pid));
    if (byPid) return byPid;
  }
  const name = getString(detection.attributes, ProcessAttr.EXECUTABLE_NAME);
  if (name) {
    // comm is cut at 15 characters by the kernel.
    return actors.find((a) => basename(a.executable).slice(0, 15) === name.slice(0, 15));
  }
  return undefined;
}

/**
 * Scores one scenario's detection records, in the order they left the chain. Detections dated before `judgedFromMs`
 * (a replayed learning day) are counted apart and not scored.
 */
export function scoreScenario(
  labels: ScenarioLabels,
  detections: readonly EmittedDetection[],
  spanMs: number,
  judgedFromMs = Number.NEGATIVE_INFINITY,
): ScenarioScore {
  const firstByActor = new Map<string, EmittedDetection>();
  const ids = new Set<string>();
  let unmatched = 0;
  let learning = 0;
  for (const emitted of detections) {
    const detection = emitted.record;
    const at = eventTimeMs(detection) ?? getInt(detection.attributes, DetectionAttr.WINDOW_END) ?? 0;
    if (at < judgedFromMs) {
      learning++;
      continue;
    }
    ids.add(getString(detection.attributes, DetectionAttr.ID) ?? `${ids.size}`);
    const actor = actorOf(detection, labels.actors);
    if (!actor) {
      unmatched++;
      continue;
    }
    if (!firstByActor.has(actor.name)) firstByActor.set(actor.name, emitted);
  }
  const malicious = labels.actors.filter((a) => a.label === 'malicious');
  const benign = labels.actors.filter((a) => a.label === 'benign');
  const fromCrossing: Record<string, number> = {};
  const fromStart: Record<string, number> = {};
  for (const actor of malicious) {
    const first = firstByActor.get(actor.name);
    if (!first) continue;
    const at = eventTimeMs(first.record) ?? 0;
    fromCrossing[actor.name] = first.streamMs - at;
    fromStart[actor.name] = first.streamMs - actor.firstStartMs;
  }
  return {
    scenario: labels.scenario,
    truePositives: malicious.filter((a) => firstByActor.has(a.name)).map((a) => a.name),
    falseNegatives: malicious.filter((a) => !firstByActor.has(a.name)).map((a) => a.name),
    falsePositives: benign.filter((a) => firstByActor.has(a.name)).map((a) => a.name),
    detections: ids.size,
    unmatchedDetections: unmatched,
    benignProcessHours: (benign.length * spanMs) / 3_600_000,
    latencyFromCrossingMs: fromCrossing,
    latencyFromStartMs: fromStart,
    learningDetections: learning,
  };
}

/** Precision, recall and false positives per benign process-hour over several scores. */
export function summarise(scores: readonly ScenarioScore[]): {
  precision: number;
  recall: number;
  falsePositives: number;
  benignProcessHours: number;
  fpPerBenignProcessHour: number;
  /** The largest latency past the crossing connection, over the detected malicious actors. */
  maxLatencyMs: number;
  /** The largest latency past the actor's start. */
  maxLatencyFromStartMs: number;
} {
  const tp = scores.reduce((n, s) => n + s.truePositives.length, 0);
  const fn = scores.reduce((n, s) => n + s.falseNegatives.length, 0);
  const fp = scores.reduce((n, s) => n + s.falsePositives.length, 0);
  const hours = scores.reduce((n, s) => n + s.benignProcessHours, 0);
  const crossing = scores.flatMap((s) => Object.values(s.latencyFromCrossingMs));
  const start = scores.flatMap((s) => Object.values(s.latencyFromStartMs));
  return {
    // No detection at all leaves precision undefined (NaN), not perfect.
    precision: tp + fp === 0 ? Number.NaN : tp / (tp + fp),
    recall: tp + fn === 0 ? Number.NaN : tp / (tp + fn),
    falsePositives: fp,
    benignProcessHours: hours,
    fpPerBenignProcessHour: hours === 0 ? 0 : fp / hours,
    maxLatencyMs: crossing.length === 0 ? 0 : Math.max(...crossing),
    maxLatencyFromStartMs: start.length === 0 ? 0 : Math.max(...start),
  };
}
