/**
 * Generators of hostile input for the fuzz properties: real samples (the normalize package's fixtures, and the shared
 * real sensor samples beside the repository when present) mutated by byte flips, truncation, reordered and repeated
 * lines and inserted hostile tokens (huge and negative numbers, extreme times, long lines, deep nesting, invalid
 * UTF-8, prototype keys); random bytes; and OTLP/JSON requests built from hostile values.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import fc from 'fast-check';

/** The repository root. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const FIXTURES = path.join(REPO_ROOT, 'packages', 'normalize', 'test', 'fixtures');
const SHARED = path.resolve(REPO_ROOT, '..', 'shared', 'fixtures', 'telemetry');

/** Seeds are cut to this many bytes so that an input stays small next to the bounds it probes. */
const SEED_BYTES = 16 * 1024;

/** The package's own fixtures by format (always present). */
const FIXTURE_FORMATS: Readonly<Record<string, readonly string[]>> = {
  auditd: ['auditd-events.log'],
  sysmon: ['sysmon-events.log'],
  falco: ['falco-alerts.jsonl'],
  tetragon: ['tetragon-events.jsonl'],
  auditbeat: ['auditbeat-socket.ndjson'],
  zeek: ['zeek-conn.log', 'zeek-http.log', 'zeek-conn.json.log', 'zeek-http.json.log'],
  tcplife: [
    'tcplife-T.txt',
    'tcplife-bpftrace-bytes.txt',
    'tcplife-bpftrace.txt',
    'tcplife-csv.txt',
    'tcplife-default.txt',
    'tcplife-egressguard-tracer.csv',
    'tcplife-t.txt',
    'tcplife-wide.txt',
  ],
  ss: ['ss-O-headers.txt', 'ss-polls.txt', 'ss-state-established.txt'],
};

/** Folders of the shared real samples by the format they hold (read, never copied into the project). */
const SHARED_FORMATS: Readonly<Record<string, readonly [folder: string, suffix: RegExp][]>> = {
  auditd: [
    ['laurel', /\.txt$/],
    ['go-libaudit', /\.log$/],
  ],
  falco: [['falco', /\.jsonl$/]],
  tetragon: [['tetragon', /\.json$/]],
  auditbeat: [['auditbeat', /\.json$/]],
  zeek: [
    ['zeek', /\.log$|\.json$/],
    ['zeek-rita', /\.log$/],
  ],
  tcplife: [['bcc', /^tcplife/]],
  ss: [['ss', /\.txt$/]],
};

/** The seed samples of each format: the package's fixtures, plus the shared real samples when they are present. */
export function seedsByFormat(): { seeds: Record<string, Buffer[]>; shared: boolean } {
  const seeds: Record<string, Buffer[]> = {};
  let shared = false;
  for (const [format, files] of Object.entries(FIXTURE_FORMATS))
    seeds[format] = files.map((f) => readFileSync(path.join(FIXTURES, f)).subarray(0, SEED_BYTES));
  for (const [format, folders] of Object.entries(SHARED_FORMATS)) {
    for (const [folder, suffix] of folders) {
      let names: string[];
      try {
        names = readdirSync(path.join(SHARED, folder));
      } catch {
        continue;
      }
      for (const name of names.filter((n) => suffix.test(n)).sort()) {
        const file = path.join(SHARED, folder, name);
        if (!statSync(file).isFile()) continue;
        seeds[format].push(readFileSync(file).subarray(0, SEED_BYTES));
        shared = true;
      }
    }
  }
  return { seeds, shared };
}

const utf8 = (s: string) => Buffer.from(s, 'utf8');

/** Values that broke or could break a reader: numbers, times, keys, nesting, long runs, bytes that are not UTF-8. */
export const HOSTILE_TOKENS: readonly Buffer[] = [
  // Huge, negative and non-finite numbers.
  '18446744073709551616',
  '-18446744073709551616',
  '9007199254740993',
  '-1',
  '0',
  '1e308',
  '-1e308',
  'NaN',
  'Infinity',
  '99999999999999999999.999999999',
  // Extreme times in each sensor's notation.
  '18446744073709551616.134',
  'msg=audit(18446744073709551616.134:1):',
  'msg=audit(-5.000:1):',
  '7258118400.000000',
  '253402300800',
  '-1.5',
  '1969-12-31T23:59:59Z',
  '9999-12-31T23:59:59.999999999Z',
  '2200-01-01T00:00:01Z',
  '+275760-09-13T00:00:00Z',
  // Prototype keys.
  '"__proto__":{"polluted":true},',
  '"constructor":{"prototype":{"polluted":true}},',
  '{"__proto__":{"polluted":true},"rule":"x","output_fields":{"__proto__":{"polluted":true}}}',
  '__proto__=1 constructor=2 ',
  '<Data Name="__proto__">x</Data>',
  // Line structure and headers.
  '\n',
  '\r\n',
  '\r',
  '\n\n\n',
  '#fields\tts\tuid\n',
  '#separator \\x09\n',
  'Attaching 3 probes...\n',
  'State Recv-Q Send-Q Local Address:Port Peer Address:Port Process\n',
  'users:(("',
  'type=SYSCALL msg=audit(',
  '"ts":',
  '"time":"',
  '</Event>',
].map(utf8);

/** Byte sequences that are not UTF-8 (lone continuation, truncated sequences, surrogates, past U+10FFFF) and NUL. */
const INVALID_UTF8: readonly Buffer[] = [
  [0xff],
  [0xfe, 0xff],
  [0x80],
  [0xc3],
  [0xe2, 0x82],
  [0xed, 0xa0, 0x80],
  [0xf4, 0x90, 0x80, 0x80],
  [0xc0, 0xaf],
  [0x00],
  [0xef, 0xbb, 0xbf],
].map((b) => Buffer.from(b));

/** One edit of a sample. */
type Mutation =
  | { readonly kind: 'flip'; readonly at: number; readonly xor: number }
  | { readonly kind: 'truncate'; readonly at: number }
  | { readonly kind: 'insert'; readonly at: number; readonly bytes: Buffer }
  | { readonly kind: 'replace-number'; readonly nth: number; readonly bytes: Buffer }
  | { readonly kind: 'repeat-line'; readonly nth: number; readonly times: number }
  | { readonly kind: 'swap-lines'; readonly a: number; readonly b: number }
  | { readonly kind: 'drop-line'; readonly nth: number };

/**
 * Units repeated into long runs, up to past the line bound: a pattern or loop that rescans a run from each of its
 * positions is quadratic, and only a long run makes that show as time (deep nesting, tag soup, digits, NULs, spaces,
 * objects on one line).
 */
const RUN_UNITS: readonly string[] = [
  '1',
  '9',
  '\0',
  '00',
  ' ',
  '\t',
  'A',
  '{}',
  '[',
  '{"a":',
  '<EventID ',
  '<Data Name="',
  '&#',
  '"',
  '\\',
  ',',
  '=',
  ':',
];

/** A run of one unit, of any length up to `maxBytes`. */
function runArb(maxBytes: number): fc.Arbitrary<Buffer> {
  return fc
    .tuple(
      fc.constantFrom(...RUN_UNITS),
      // Mostly near the bound, where a quadratic scan shows: a short run hides it.
      fc.oneof(
        fc.integer({ min: 1, max: maxBytes }),
        fc.constantFrom(maxBytes, maxBytes - 80 * 1024, Math.floor(maxBytes / 2)),
      ),
      fc.boolean(),
    )
    .map(([unit, bytes, quoted]) => {
      const run = unit.repeat(Math.max(1, Math.floor(bytes / unit.length)));
      return utf8(quoted ? `"${run}x"` : run);
    });
}

/** How long a generated run may be: set by the campaign to its line bound (and a little past it). */
let maxRunBytes = 64 * 1024;

/** Sets the longest run a generator makes (the campaign's line bound plus a margin, so that some cross it). */
export function setMaxRunBytes(bytes: number): void {
  maxRunBytes = bytes;
}

const tokenArb = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(...HOSTILE_TOKENS) },
  { weight: 3, arbitrary: fc.constant(null).chain(() => runArb(maxRunBytes)) },
  { weight: 1, arbitrary: fc.constantFrom(...INVALID_UTF8) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 64 }).map((b) => Buffer.from(b)) },
);

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: tokenArb }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('replace-number' as const), nth: fc.nat(), bytes: tokenArb }),
  },
  fc.record({
    kind: fc.constant('repeat-line' as const),
    nth: fc.nat(),
    times: fc.integer({ min: 2, max: 50 }),
  }),
  fc.record({ kind: fc.constant('swap-lines' as const), a: fc.nat(), b: fc.nat() }),
  fc.record({ kind: fc.constant('drop-line' as const), nth: fc.nat() }),
);

function lines(b: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let from = 0;
  for (let nl = b.indexOf(10, from); nl !== -1; nl = b.indexOf(10, from)) {
    out.push(b.subarray(from, nl + 1));
    from = nl + 1;
  }
  if (from < b.length) out.push(b.subarray(from));
  return out;
}

/** Applies one mutation; positions are taken modulo the sample's length. */
export function mutate(sample: Buffer, m: Mutation): Buffer {
  switch (m.kind) {
    case 'flip': {
      if (sample.length === 0) return sample;
      const out = Buffer.from(sample);
      out[m.at % out.length] ^= m.xor;
      return out;
    }
    case 'truncate':
      return sample.subarray(0, m.at % (sample.length + 1));
    case 'insert': {
      const at = m.at % (sample.length + 1);
      return Buffer.concat([sample.subarray(0, at), m.bytes, sample.subarray(at)]);
    }
    case 'replace-number': {
      const runs: [number, number][] = [];
      for (let i = 0; i < sample.length;) {
        if (sample[i] >= 48 && sample[i] <= 57) {
          const start = i;
          while (i < sample.length && sample[i] >= 48 && sample[i] <= 57) i++;
          runs.push([start, i]);
        } else i++;
      }
      if (runs.length === 0) return sample;
      const [start, end] = runs[m.nth % runs.length];
      return Buffer.concat([sample.subarray(0, start), m.bytes, sample.subarray(end)]);
    }
    case 'repeat-line': {
      const ls = lines(sample);
      if (ls.length === 0) return sample;
      const i = m.nth % ls.length;
      // A long line repeated a few times is enough: it keeps an input within a few times the line bound.
      const times = ls[i].length > 4096 ? Math.min(m.times, 3) : m.times;
      return Buffer.concat([...ls.slice(0, i), ...Array<Buffer>(times).fill(ls[i]), ...ls.slice(i + 1)]);
    }
    case 'swap-lines': {
      const ls = lines(sample);
      if (ls.length < 2) return sample;
      const a = m.a % ls.length;
      const b = m.b % ls.length;
      [ls[a], ls[b]] = [ls[b], ls[a]];
      return Buffer.concat(ls);
    }
    case 'drop-line': {
      const ls = lines(sample);
      if (ls.length === 0) return sample;
      ls.splice(m.nth % ls.length, 1);
      return Buffer.concat(ls);
    }
  }
}

/** A sample of `seeds` with 1 to 6 mutations, or (rarely) random bytes. */
export function sensorInputArb(seeds: readonly Buffer[]): fc.Arbitrary<Buffer> {
  return fc.oneof(
    {
      weight: 9,
      arbitrary: fc
        .tuple(fc.constantFrom(...seeds), fc.array(mutationArb, { minLength: 1, maxLength: 6 }))
        .map(([seed, ms]) => ms.reduce(mutate, seed)),
    },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 8192 }).map((b) => Buffer.from(b)) },
  );
}

/** OTLP/JSON time values: sane, extreme, negative, non-integer, not numbers. */
const otlpTimeArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String),
  fc.bigInt({ min: 1_500_000_000_000_000_000n, max: 1_900_000_000_000_000_000n }).map(String),
  fc.constantFrom('18446744073709551615', '18446744073709551616', '0', '-1', '1e18', 'NaN', '', '٣'),
  fc.double(),
  fc.integer(),
  fc.constant(null),
);

const keyArb = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom(
    '__proto__',
    'constructor',
    'prototype',
    'toString',
    'host.name',
    'process.pid',
    'destination.port',
  ),
);

/** An OTLP/JSON AnyValue, nested up to past the decoders' depth bound. */
const anyValueArb: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ stringValue: fc.string({ maxLength: 40 }) }),
    fc.record({
      intValue: fc.oneof(fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String), fc.double()),
    }),
    fc.record({ doubleValue: fc.oneof(fc.double(), fc.constantFrom('NaN', 'Infinity', '1e999', 'x')) }),
    fc.record({ boolValue: fc.oneof(fc.boolean(), fc.string({ maxLength: 3 })) }),
    fc.record({ bytesValue: fc.string({ maxLength: 20 }) }),
    fc.record({ arrayValue: fc.record({ values: fc.array(tie('value'), { maxLength: 3 }) }) }),
    fc.record({
      kvlistValue: fc.record({
        values: fc.array(fc.record({ key: keyArb, value: tie('value') }), { maxLength: 3 }),
      }),
    }),
  ),
})).value;

/** An AnyValue nested up to 200 levels deep, past the decoders' bound of 64 (deeper would overflow the stack of `JSON.stringify` in the generator, not of the decoders). */
const deepValueArb = fc.integer({ min: 1, max: 200 }).map((depth) => {
  let v: unknown = { stringValue: 'leaf' };
  for (let i = 0; i < depth; i++)
    v = i % 2 ? { arrayValue: { values: [v] } } : { kvlistValue: { values: [{ key: 'k', value: v }] } };
  return v;
});

const kvArb = fc.record({
  key: keyArb,
  value: fc.oneof({ weight: 5, arbitrary: anyValueArb }, { weight: 1, arbitrary: deepValueArb }),
});

const logRecordArb = fc.record(
  {
    timeUnixNano: otlpTimeArb,
    observedTimeUnixNano: otlpTimeArb,
    eventName: fc.constantFrom('egressguard.connection', 'egressguard.process.exec', 'x', ''),
    severityNumber: fc.oneof(fc.integer({ min: -5, max: 30 }), fc.constant('SEVERITY_NUMBER_INFO')),
    body: anyValueArb,
    attributes: fc.array(kvArb, { maxLength: 6 }),
    traceId: fc.constantFrom('', '5b8efff798038103d269b633813fc60c', 'zz', '__proto__'),
    flags: fc.oneof(fc.nat(), fc.integer({ min: -10, max: 2 ** 33 })),
  },
  { requiredKeys: [] },
);

/** An OTLP/JSON ExportLogsServiceRequest of hostile values, and how many log records it holds. */
export const otlpRequestArb: fc.Arbitrary<{ request: unknown; logRecords: number }> = fc
  .array(
    fc.record({
      resource: fc.record({ attributes: fc.array(kvArb, { maxLength: 4 }) }),
      scopeLogs: fc.array(
        fc.record({
          scope: fc.record({ name: fc.string({ maxLength: 10 }) }),
          logRecords: fc.array(logRecordArb, { maxLength: 6 }),
        }),
        { maxLength: 3 },
      ),
    }),
    { maxLength: 3 },
  )
  .map((resourceLogs) => ({
    request: { resourceLogs },
    logRecords: resourceLogs.reduce(
      (n, rl) => n + rl.scopeLogs.reduce((m, sl) => m + sl.logRecords.length, 0),
      0,
    ),
  }));

/** Byte-level damage to an encoded body: none, or 1 to 4 mutations. */
export const damageArb: fc.Arbitrary<Mutation[]> = fc.oneof(
  { weight: 1, arbitrary: fc.constant<Mutation[]>([]) },
  { weight: 2, arbitrary: fc.array(mutationArb, { minLength: 1, maxLength: 4 }) },
);
