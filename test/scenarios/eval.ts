/**
 * `npm run eval`: replays every labelled scenario through the default chain with each sensor set and prints, per
 * scenario and overall, precision, recall, false positives per benign process-hour (with its denominator) and
 * detection latency in event time, past the connection that crossed the thresholds and past the implant's start.
 * Exits 1 when the gated sensor set misses a threshold of the README.
 */
import {
  EVAL_BATCH_LINES,
  SENSOR_SETS,
  THRESHOLDS,
  evaluateAll,
  missedThresholds,
  overall,
} from './lib/evaluate.ts';

const pct = (x: number) => (Number.isNaN(x) ? 'n/a' : `${(x * 100).toFixed(0)}%`);
const secs = (ms: number | undefined) => (ms === undefined ? '-' : `${(ms / 1000).toFixed(1)} s`);
const worst = (values: Record<string, number>) => {
  const all = Object.values(values);
  return all.length ? Math.max(...all) : undefined;
};

/** `false a, b, c and 7 more`: the names that fit a line. */
const listed = (what: string, names: readonly string[]) =>
  names.length === 0
    ? ''
    : `${what} ${names.slice(0, 3).join(', ')}${names.length > 3 ? ` and ${names.length - 3} more` : ''}`;

const scores = await evaluateAll();
const rows: string[][] = [
  [
    'SENSORS',
    'SCENARIO',
    'JUDGED',
    'TP',
    'FN',
    'FP',
    'DETECTIONS',
    'BENIGN PROC-H',
    'PAST CROSSING',
    'PAST START',
    'MISSED / FALSE',
  ],
];
for (const s of scores) {
  rows.push([
    s.sensorSet,
    s.scenario,
    `${s.judged === 'after_learning' ? 'after learning' : 'fresh'}${s.informational ? ' (info)' : ''}`,
    String(s.truePositives.length),
    String(s.falseNegatives.length),
    String(s.falsePositives.length),
    String(s.detections),
    s.benignProcessHours.toFixed(3),
    secs(worst(s.latencyFromCrossingMs)),
    secs(worst(s.latencyFromStartMs)),
    listed('missed', s.falseNegatives) +
      (s.falseNegatives.length && s.falsePositives.length ? '; ' : '') +
      listed('false', s.falsePositives),
  ]);
}
const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
const line = (r: string[]) =>
  r
    .map((c, i) => c.padEnd(widths[i]))
    .join('  ')
    .trimEnd();
process.stdout.write(
  `Per scenario (default chain, replayed in event time, ${EVAL_BATCH_LINES} sensor lines per batch; latency: how far ` +
    `the input had advanced when the first detection left the chain)\n${line(rows[0])}\n` +
    `${widths.map((w) => '-'.repeat(w)).join('  ')}\n${rows.slice(1).map(line).join('\n')}\n\n`,
);

process.stdout.write('Overall (rows marked info excluded)\n');
let failed = false;
for (const set of SENSOR_SETS) {
  const f = overall(scores, set.name);
  const missed = set.gated ? missedThresholds(f) : [];
  failed ||= missed.length > 0;
  process.stdout.write(
    `${set.name.padEnd(10)} precision ${pct(f.precision)}  recall ${pct(f.recall)}  ` +
      `false positives/benign process-hour ${f.fpPerBenignProcessHour.toFixed(3)} ` +
      `(${f.falsePositives} in ${f.benignProcessHours.toFixed(2)} h)  ` +
      `max latency past the crossing ${secs(f.maxLatencyMs)}, past the start ${secs(f.maxLatencyFromStartMs)}` +
      `${set.gated ? (missed.length ? `  FAILS: ${missed.join('; ')}` : '  (meets the thresholds)') : '  (informational)'}\n` +
      `           ${set.description}\n`,
  );
}
process.stdout.write(
  `\nThresholds for ${SENSOR_SETS.filter((s) => s.gated)
    .map((s) => s.name)
    .join(', ')}: precision >= ${THRESHOLDS.minPrecision}, recall >= ${THRESHOLDS.minRecall}, ` +
    `false positives per benign process-hour <= ${THRESHOLDS.maxFalsePositivesPerBenignProcessHour}, ` +
    `latency past the crossing <= ${THRESHOLDS.maxLatencyMs / 1000} s\n`,
);
process.exitCode = failed ? 1 : 0;
