/**
 * Baseline benchmark: lookups per second (warm) and bytes per identity at 1,000,000 identities, against a plain
 * `Map<string, number>` with the same keys measured in the same run. Run with `npm run bench -w
 * @egressguard/novelty-filter` (node --expose-gc). IDENTITIES=… overrides the size.
 */
import { Baseline } from '../src/internal/baseline.ts';

const N = Number(process.env.IDENTITIES ?? 1_000_000);
const LOOKUPS = 2_000_000;
const T0 = Date.UTC(2025, 10, 1);
const DAY = 86_400_000;

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc (npm run bench does)');

function heapUsed(): number {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
}

// Keys shaped like the default identity (host + normalised path + user class), built once and shared by both
// structures, so the bytes below are what each structure adds on top of the key strings.
const keys: string[] = new Array<string>(N);
for (let i = 0; i < N; i++)
  keys[i] =
    `host=web-${i % 500}|path=/opt/svc-${(i / 500) | 0}/bin/agent|user=${i % 3 === 0 ? 'root' : 'system'}`;
for (const k of keys) k.charCodeAt(0); // flatten
const keyChars = keys.reduce((n, k) => n + k.length, 0) / N;
const order = new Uint32Array(LOOKUPS);
let seed = 12345;
for (let i = 0; i < LOOKUPS; i++) {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  order[i] = seed % N;
}

function measure<T>(build: () => T): { bytes: number; value: T } {
  const before = heapUsed();
  const value = build();
  return { bytes: (heapUsed() - before) / N, value };
}

const base = measure(() => {
  const b = new Baseline({
    maxIdentities: N,
    historyMs: 14 * DAY,
    learningPeriodMs: DAY,
    rareMinCount: 10,
    matureSpanMs: 18 * 3_600_000,
    matureIntervalMs: 3_600_000,
    matureMinIntervals: 12,
  });
  for (let i = 0; i < N; i++) b.observe(keys[i], T0 + i);
  return b;
});
const map = measure(() => {
  const m = new Map<string, number>();
  for (let i = 0; i < N; i++) m.set(keys[i], T0 + i);
  return m;
});

function rate(run: () => void): number {
  run(); // warm
  const start = process.hrtime.bigint();
  run();
  return LOOKUPS / (Number(process.hrtime.bigint() - start) / 1e9);
}
let sink = 0;
const baselineRate = rate(() => {
  for (let i = 0; i < LOOKUPS; i++) sink += base.value.observe(keys[order[i]], T0 + DAY + i).count;
});
const mapRate = rate(() => {
  const m = map.value;
  for (let i = 0; i < LOOKUPS; i++) {
    const k = keys[order[i]];
    const v = (m.get(k) ?? 0) + 1;
    m.set(k, v);
    sink += v;
  }
});

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
console.log(
  `novelty-filter baseline, ${fmt(N)} identities (keys average ${keyChars.toFixed(0)} characters, shared by both)`,
);
console.log(
  `  Baseline (lru-cache + typed columns): ${fmt(baselineRate)} lookups/s, ${base.bytes.toFixed(1)} bytes/identity`,
);
console.log(
  `  Map<string, number> (reference):      ${fmt(mapRate)} lookups/s, ${map.bytes.toFixed(1)} bytes/identity`,
);
console.log(
  `  ratio Baseline/Map: speed ×${(baselineRate / mapRate).toFixed(2)}, memory ×${(base.bytes / map.bytes).toFixed(2)}`,
);
console.log(
  `  held: ${fmt(base.value.size)} identities, ${base.value.evictions} evictions, estimate ${(base.value.estimateBytes() / N).toFixed(1)} bytes/identity with keys`,
);
if (sink === 0) console.log('');
