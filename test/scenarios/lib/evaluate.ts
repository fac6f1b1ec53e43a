/**
 * The evaluation: every labelled scenario replayed through the default chain, once per sensor set, and scored
 * against its labels. Used by `npm run eval` (eval.ts) and by the test suite (test/eval.test.ts).
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Writable } from 'node:stream';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

import { createProcessorRegistry, defaultConfigYaml, parseConfigText, replay } from '@egressguard/cli';

import type { StageBalance } from '@egressguard/core';
import type { PipelineRecord } from '@egressguard/schema';

import { learningDay } from './learning.ts';
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
  maxFalsePositivesPerBenignProcessHour: 0.05,
  /**
   * Past the connection that crossed the thresholds, in event time: 10 s plus the aggregator's default out-of-order
   * allowance (5 s).
   */
  maxLatencyMs: 15_000,
} as const;

/**
 * Sensor lines per batch the evaluation hands the chain: about a second of these captures or less, as a Collector
 * forwarding every 200 ms would, so that latency in event time measures the chain and not the file reader.
 */
export const EVAL_BATCH_LINES = 8;

/** One scenario scored with one sensor set. */
export interface SetScore extends ScenarioScore {
  readonly sensorSet: string;
  /** Shown, but not in the overall figures (a scenario judged fresh beside its after-learning judgement). */
  readonly informational: boolean;
  /** `fresh`, or `after_learning` when a learning day was replayed first. */
  readonly judged: 'fresh' | 'after_learning';
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

/** A capture file of a scenario folder, plain or gzip-compressed (`name` or `name.gz`). */
function capture(dir: string, name: string): string {
  const gz = join(dir, `${name}.gz`);
  return existsSync(gz) ? gz : join(dir, name);
}

function readCapture(path: string): string {
  const raw = readFileSync(path);
  return (path.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
}

/**
 * Replays one scenario with one sensor set through the default chain and scores it. `judge: after_learning`
 * replays a learning day made from the recording first (see learning.ts) and scores only what is dated in the
 * recording itself.
 */
export async function evaluateScenario(
  name: string,
  set: SensorSet,
  root = SCENARIO_ROOT,
  judge: 'fresh' | 'after_learning' = 'fresh',
): Promise<SetScore> {
  const dir = join(root, name);
  const labels = JSON.parse(readFileSync(join(dir, 'labels.json'), 'utf8')) as ScenarioLabels;
  const registry = createProcessorRegistry();
  // The default chain exactly as `egressguard replay` runs it with no configuration file.
  const config = parseConfigText(defaultConfigYaml({}), { registry, env: {}, requireEnds: false });
  const starts = labels.actors.map((a) => a.firstStartMs).filter((t) => t > 0);
  const fromMs = Math.min(...starts);
  const files = set.files.map((f) => capture(dir, f));
  const scratch =
    judge === 'after_learning' ? mkdtempSync(join(tmpdir(), 'egressguard-learning-')) : undefined;
  try {
    const learning = scratch
      ? set.files.map((f, i) => {
          const path = join(scratch, `learning-${f}`);
          writeFileSync(path, learningDay(f, readCapture(files[i]), fromMs));
          return path;
        })
      : [];
    const result = await replay({
      config,
      inputs: [...learning, ...files],
      format: 'auto',
      host: labels.host,
      batchLines: EVAL_BATCH_LINES,
      output: new Writable({ write: (_chunk, _encoding, done) => done() }),
    });
    // Recordings made before labels carried their end: the last start plus a minute.
    const spanMs = (labels.endMs ?? Math.max(...starts) + 60_000) - fromMs;
    const emitted = result.detections.map((record, i) => ({ record, streamMs: result.detectionStreamMs[i] }));
    return {
      sensorSet: set.name,
      informational: false,
      judged: judge,
      balance: result.balance.logs ?? {},
      ...scoreScenario(labels, emitted, spanMs, scratch ? fromMs : Number.NEGATIVE_INFINITY),
      detectionRecords: result.detections.map((record) => ({
        record,
        actor: actorOf(record, labels.actors)?.name,
      })),
    };
  } finally {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * Every scenario with every sensor set. A scenario whose labels ask to be judged after learning is scored that way,
 * and shown judged fresh too (the first day after installation), for information.
 */
export async function evaluateAll(): Promise<SetScore[]> {
  const scores: SetScore[] = [];
  for (const set of SENSOR_SETS)
    for (const name of scenarioNames()) {
      const labels = JSON.parse(
        readFileSync(join(SCENARIO_ROOT, name, 'labels.json'), 'utf8'),
      ) as ScenarioLabels;
      if (labels.evaluation?.judge === 'after_learning') {
        scores.push(await evaluateScenario(name, set, SCENARIO_ROOT, 'after_learning'));
        scores.push({ ...(await evaluateScenario(name, set)), informational: true });
      } else scores.push(await evaluateScenario(name, set));
    }
  return scores;
}

/** The overall figures of one sensor set. */
export function overall(scores: readonly SetScore[], set: string): ReturnType<typeof summarise> {
  return summarise(scores.filter((s) => s.sensorSet === set && !s.informational));
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
      `false positives per benign process-hour ${figures.fpPerBenignProcessHour.toFixed(3)} > ${THRESHOLDS.maxFalsePositivesPerBenignProcessHour}`,
    );
  if (figures.maxLatencyMs > THRESHOLDS.maxLatencyMs)
    missed.push(
      `latency past the crossing ${(figures.maxLatencyMs / 1000).toFixed(1)} s > ${THRESHOLDS.maxLatencyMs / 1000} s`,
    );
  return missed;
}
