/**
 * `npm run eval`: replays every labelled scenario through the default chain with each sensor set and prints, per
 * scenario and overall, precision, recall, false positives per benign process-hour and detection latency. Exits 1
 * when the gated sensor set misses a threshold of the README.
 */
import { SENSOR_SETS, THRESHOLDS, evaluateAll, missedThresholds, overall } from './lib/evaluate.ts';

const pct = (x: number) => (Number.isNaN(x) ? 'n/a' : `${(x * 100).toFixed(0)}%`);
const secs = (ms: number | undefined) => (ms === undefined ? '-' : `${Math.round(ms / 1000)} s`);

const scores = await evaluateAll();
const rows: string[][] = [
  ['SENSORS', 'SCENARIO', 'TP', 'FN', 'FP', 'DETECTIONS', 'BENIGN PROC-H', 'LATENCY', 'MISSED / FALSE'],
];
for (const s of scores) {
  const latencies = Object.values(s.latenciesMs);
  rows.push([
    s.sensorSet,
    s.scenario,
    String(s.truePositives.length),
    String(s.falseNegatives.length),
    String(s.falsePositives.length),
    String(s.detections),
    s.benignProcessHours.toFixed(3),
    secs(latencies.length ? Math.max(...latencies) : undefined),
    [...s.falseNegatives.map((n) => `missed ${n}`), ...s.falsePositives.map((n) => `false ${n}`)].join(', '),
  ]);
}
const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
const line = (r: string[]) =>
  r
    .map((c, i) => c.padEnd(widths[i]))
    .join('  ')
    .trimEnd();
process.stdout.write(
  `Per scenario (default chain, replayed in event time)\n${line(rows[0])}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n${rows.slice(1).map(line).join('\n')}\n\n`,
);

process.stdout.write('Overall\n');
let failed = false;
for (const set of SENSOR_SETS) {
  const figures = overall(scores, set.name);
  const missed = set.gated ? missedThresholds(figures) : [];
  failed ||= missed.length > 0;
  process.stdout.write(
    `${set.name.padEnd(10)} precision ${pct(figures.precision)}  recall ${pct(figures.recall)}  ` +
      `false positives/benign process-hour ${figures.fpPerBenignProcessHour.toFixed(2)}  max latency ${secs(figures.maxLatencyMs)}` +
      `${set.gated ? (missed.length ? `  FAILS: ${missed.join('; ')}` : '  (meets the thresholds)') : '  (informational)'}\n` +
      `           ${set.description}\n`,
  );
}
process.stdout.write(
  `\nThresholds for ${SENSOR_SETS.filter((s) => s.gated)
    .map((s) => s.name)
    .join(', ')}: precision >= ${THRESHOLDS.minPrecision}, recall >= ${THRESHOLDS.minRecall}, ` +
    `false positives per benign process-hour <= ${THRESHOLDS.maxFalsePositivesPerBenignProcessHour}, latency <= ${THRESHOLDS.maxLatencyMs / 1000} s\n`,
);
process.exitCode = failed ? 1 : 0;
