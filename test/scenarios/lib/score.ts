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
}

/** What one scenario scored. */
export interface ScenarioScore {
  readonly scenario: string;
  readonly truePositives: string[];
  readonly falseNegatives: string[];
  readonly falsePositives: string[];
  readonly detections: number;
  readonly unmatchedDetections: number;
  /** Benign actors times the scenario's span, in hours. */
  readonly benignProcessHours: number;
  /** Per detected malicious actor: event time from its first connection to its first detection. */
  readonly latenciesMs: Record<string, number>;
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

/** Scores one scenario's detection records. `firstConnectionMs` gives each actor's first connection time. */
export function scoreScenario(
  labels: ScenarioLabels,
  detections: readonly PipelineRecord[],
  spanMs: number,
  firstConnectionMs: ReadonlyMap<string, number>,
): ScenarioScore {
  const detected = new Map<string, number>();
  let unmatched = 0;
  for (const detection of detections) {
    const actor = actorOf(detection, labels.actors);
    if (!actor) {
      unmatched++;
      continue;
    }
    const at = eventTimeMs(detection) ?? getInt(detection.attributes, DetectionAttr.WINDOW_END) ?? 0;
    detected.set(actor.name, Math.min(detected.get(actor.name) ?? Number.POSITIVE_INFINITY, at));
  }
  const malicious = labels.actors.filter((a) => a.label === 'malicious');
  const benign = labels.actors.filter((a) => a.label === 'benign');
  const latenciesMs: Record<string, number> = {};
  for (const actor of malicious) {
    const at = detected.get(actor.name);
    const first = firstConnectionMs.get(actor.name) ?? actor.firstStartMs;
    if (at !== undefined) latenciesMs[actor.name] = Math.max(0, at - first);
  }
  return {
    scenario: labels.scenario,
    truePositives: malicious.filter((a) => detected.has(a.name)).map((a) => a.name),
    falseNegatives: malicious.filter((a) => !detected.has(a.name)).map((a) => a.name),
    falsePositives: benign.filter((a) => detected.has(a.name)).map((a) => a.name),
    detections: detections.length,
    unmatchedDetections: unmatched,
    benignProcessHours: (benign.length * spanMs) / 3_600_000,
    latenciesMs,
  };
}

/** Precision, recall and false positives per benign process-hour over several scores. */
export function summarise(scores: readonly ScenarioScore[]): {
  precision: number;
  recall: number;
  fpPerBenignProcessHour: number;
  maxLatencyMs: number;
} {
  const tp = scores.reduce((n, s) => n + s.truePositives.length, 0);
  const fn = scores.reduce((n, s) => n + s.falseNegatives.length, 0);
  const fp = scores.reduce((n, s) => n + s.falsePositives.length, 0);
  const hours = scores.reduce((n, s) => n + s.benignProcessHours, 0);
  const latencies = scores.flatMap((s) => Object.values(s.latenciesMs));
  return {
    // No detection at all leaves precision undefined (NaN), not perfect.
    precision: tp + fp === 0 ? Number.NaN : tp / (tp + fp),
    recall: tp + fn === 0 ? Number.NaN : tp / (tp + fn),
    fpPerBenignProcessHour: hours === 0 ? 0 : fp / hours,
    maxLatencyMs: latencies.length === 0 ? 0 : Math.max(...latencies),
  };
}
