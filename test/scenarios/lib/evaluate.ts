/**
 * The evaluation: every labelled scenario replayed through the default chain, once per sensor set, and scored
 * against its labels. Used by `npm run eval` (eval.ts) and by the test suite (test/eval.test.ts).
 */
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { Writable } from 'node:stream';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { createProcessorRegistry, defaultConfigYaml, parseConfigText, replay } from '@egressguard/cli';

import type { StageBalance } from '@egressguard/core';
import type { PipelineRecord } from '@egressguard/schema';

import { actorOf, scoreScenario, summarise, type ScenarioLabels, type ScenarioScore } from './score.ts';

const here = dirname(fileURLToPath(import.meta.url));
/** The folder that holds one sub-folder per scenario. */
export const SCENARIO_ROOT = join(here, '..');

/** A set of sensor files replayed together. */
export interface SensorSet {
  readonly name: string;
  readonly description: string;
  /** Files of the scenario folder, read in this order with format `auto`. */
  readonly files: readonly string[];
  /** Whether the README's thresholds apply to this set. */
  readonly gated: boolean;
}

/** The sensor sets every scenario is replayed with. */
export const SENSOR_SETS: readonly SensorSet[] = [
  {
    name: 'ebpf+exec',
    description:
      'eBPF TCP tracer (exact bytes per connection, pid, comm) + auditd execve events (executable paths)',
    files: ['auditd-exec.log', 'tcplife.csv'],
    gated: true,
  },
  {
    name: 'auditd',
    description: "auditd connect + execve alone, AN0145's own log source: processes, no bytes",
    files: ['auditd.log'],
    gated: false,
  },
  {
    name: 'ss+exec',
    description:
      '`ss -tinp` every 200 ms + auditd execve events: bytes, but short connections fall between polls',
    files: ['auditd-exec.log', 'ss.txt'],
    gated: false,
  },
];

/** The thresholds the gated sensor set must meet (stated in the README). */
export const THRESHOLDS = {
  minPrecision: 0.9,
  minRecall: 0.9,
  maxFalsePositivesPerBenignProcessHour: 1,
  /** One 10-minute window plus the default allowed lateness. */
  maxLatencyMs: 660_000,
} as const;

/** One scenario scored with one sensor set. */
export interface SetScore extends ScenarioScore {
  readonly sensorSet: string;
  /** What each stage of the default chain did with the scenario's records (in, out, added, dropped, held, lost). */
  readonly balance: Readonly<Record<string, StageBalance>>;
  /** The detection records the replay produced, with the actor each is about (undefined: none matched). */
  readonly detectionRecords: readonly {
    readonly record: PipelineRecord;
    readonly actor: string | undefined;
  }[];
}

/** The scenarios present beside the generator (folders with a labels.json). */
export function scenarioNames(): string[] {
  return readdirSync(SCENARIO_ROOT, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(SCENARIO_ROOT, d.name, 'labels.json')))
    .map((d) => d.name)
    .sort();
}

/** Replays one scenario with one sensor set through the default chain and scores it. */
export async function evaluateScenario(
  name: string,
  set: SensorSet,
  root = SCENARIO_ROOT,
): Promise<SetScore> {
  const dir = join(root, name);
  const labels = JSON.parse(readFileSync(join(dir, 'labels.json'), 'utf8')) as ScenarioLabels;
  const registry = createProcessorRegistry();
  // The default chain exactly as `egressguard replay` runs it with no configuration file.
  const config = parseConfigText(defaultConfigYaml({}), { registry, env: {}, requireEnds: false });
  const result = await replay({
    config,
    inputs: set.files.map((f) => join(dir, f)),
    format: 'auto',
    host: labels.host,
    output: new Writable({ write: (_chunk, _encoding, done) => done() }),
  });
  const starts = labels.actors.map((a) => a.firstStartMs);
  const spanMs = Math.max(...starts) - Math.min(...starts) + 60_000;
  const first = new Map(labels.actors.map((a) => [a.name, a.firstStartMs]));
  return {
    sensorSet: set.name,
    balance: result.balance.logs ?? {},
    ...scoreScenario(labels, result.detections, spanMs, first),
    detectionRecords: result.detections.map((record) => ({
      record,
      actor: actorOf(record, labels.actors)?.name,
    })),
  };
}

/** Every scenario with every sensor set. */
export async function evaluateAll(): Promise<SetScore[]> {
  const scores: SetScore[] = [];
  for (const set of SENSOR_SETS)
    for (const name of scenarioNames()) scores.push(await evaluateScenario(name, set));
  return scores;
}

/** The overall figures of one sensor set. */
export function overall(scores: readonly SetScore[], set: string): ReturnType<typeof summarise> {
  return summarise(scores.filter((s) => s.sensorSet === set));
}

/** Which thresholds the figures miss (empty when all are met). */
export function missedThresholds(figures: ReturnType<typeof summarise>): string[] {
  const missed: string[] = [];
  if (!(figures.precision >= THRESHOLDS.minPrecision))
    missed.push(`precision ${figures.precision.toFixed(2)} < ${THRESHOLDS.minPrecision}`);
  if (!(figures.recall >= THRESHOLDS.minRecall))
    missed.push(`recall ${figures.recall.toFixed(2)} < ${THRESHOLDS.minRecall}`);
  if (figures.fpPerBenignProcessHour > THRESHOLDS.maxFalsePositivesPerBenignProcessHour)
    missed.push(
      `false positives per benign process-hour ${figures.fpPerBenignProcessHour.toFixed(2)} > ${THRESHOLDS.maxFalsePositivesPerBenignProcessHour}`,
    );
  if (figures.maxLatencyMs > THRESHOLDS.maxLatencyMs)
    missed.push(`latency ${Math.round(figures.maxLatencyMs / 1000)} s > ${THRESHOLDS.maxLatencyMs / 1000} s`);
  return missed;
}
