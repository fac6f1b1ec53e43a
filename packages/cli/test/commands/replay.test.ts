/**
 * `egressguard replay` through the real command: an empty pipeline reproduces its input record for record; the
 * default chain turns a beacon into a detection and a blind-spot table; bad input is counted, not fatal.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { decodeLogsJson } from '@egressguard/otlp';
import { DetectionAttr, EventName, type PipelineRecord } from '@egressguard/schema';

import { OTLP_JSON_MAX_LINE_BYTES } from '../../src/index.ts';
import { runCli } from '../support/cli.ts';
import { connectionRequest, kv, nanos } from '../support/otlp-json.ts';

const T0 = Date.UTC(2025, 10, 30, 8, 0, 0);

/** Three requests as the Collector's file exporter writes them, covering every field a log record can carry. */
const INPUT = [
  {
    resourceLogs: [
      {
        resource: {
          attributes: kv({ 'host.name': 'db-1', 'host.id': 'a1b2', 'egressguard.host.role': 'database' }),
        },
        schemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
        scopeLogs: [
          {
            scope: { name: 'egressguard.normalize', version: '0.1.0', attributes: kv({ 'scope.attr': 'x' }) },
            logRecords: [
              {
                timeUnixNano: '1764489600123456789',
                observedTimeUnixNano: '1764489600223456789',
                severityNumber: 9,
                severityText: 'INFO',
                eventName: 'egressguard.connection',
                body: { stringValue: 'connect() to 203.0.113.7:80' },
                attributes: [
                  ...kv({
                    'process.pid': 4242,
                    'destination.address': '203.0.113.7',
                    'destination.port': 80,
                    ratio: 0.25,
                    ok: true,
                  }),
                  {
                    key: 'list',
                    value: { arrayValue: { values: [{ stringValue: 'a' }, { intValue: '2' }] } },
                  },
                  {
                    key: 'map',
                    value: { kvlistValue: { values: [{ key: 'k', value: { boolValue: false } }] } },
                  },
                  { key: 'raw', value: { bytesValue: 'AAEC/w==' } },
                ],
                droppedAttributesCount: 3,
                traceId: '5b8efff798038103d269b633813fc60c',
                spanId: 'eee19b7ec3c1b174',
                flags: 1,
              },
              {
                observedTimeUnixNano: nanos(T0 + 5),
                body: { kvlistValue: { values: [{ key: 'msg', value: { stringValue: 'no event time' } }] } },
                attributes: kv({ seq: 2 }),
              },
            ],
          },
        ],
      },
      {
        resource: { attributes: kv({ 'host.name': 'web-1' }) },
        scopeLogs: [
          {
            scope: { name: 'other' },
            logRecords: [
              {
                timeUnixNano: nanos(T0 + 7),
                body: { arrayValue: { values: [{ doubleValue: 1.5 }] } },
                attributes: kv({ seq: 3 }),
              },
            ],
          },
        ],
      },
    ],
  },
  {
    resourceLogs: [
      {
        resource: { attributes: kv({ 'host.name': 'db-1' }) },
        scopeLogs: [
          {
            scope: { name: 'egressguard.test' },
            logRecords: [{ timeUnixNano: nanos(T0 + 9), severityNumber: 17, attributes: kv({ seq: 4 }) }],
          },
        ],
      },
    ],
  },
].map((r) => JSON.stringify(r));

/** Everything of a record that OTLP carries, as comparable JSON. */
function comparable(r: PipelineRecord) {
  return {
    resource: r.resource.attributes,
    schemaUrl: r.resource.schemaUrl,
    scope: r.instrumentationScope,
    hrTime: r.hrTime,
    hrTimeObserved: r.hrTimeObserved,
    severityNumber: r.severityNumber,
    severityText: r.severityText,
    eventName: r.eventName,
    body: r.body,
    attributes: r.attributes,
    droppedAttributesCount: r.droppedAttributesCount,
    spanContext: r.spanContext,
  };
}

function decodeLines(text: string): PipelineRecord[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .flatMap((l) => {
      const d = decodeLogsJson(l);
      assert.deepEqual(d.rejected, [], 'the output decodes without rejections');
      return d.records;
    });
}

describe('egressguard replay', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'egressguard-replay-'));
    // A configuration with an empty chain: records pass through untouched.
    writeFileSync(join(dir, 'empty.yaml'), 'service:\n  pipelines:\n    logs:\n      processors: []\n');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('through an empty pipeline reproduces its input record for record', async () => {
    const input = join(dir, 'input.jsonl');
    writeFileSync(input, `${INPUT[0]}\n\n${INPUT[1]}\n`);
    const config = join(dir, 'empty.yaml');
    const output = join(dir, 'out.jsonl');
    const r = await runCli(['replay', '--config', config, '--output', output, input]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '', 'with --output nothing goes to stdout');
    const expected = decodeLines(INPUT.join('\n')).map(comparable);
    assert.equal(expected.length, 4);
    assert.deepEqual(decodeLines(readFileSync(output, 'utf8')).map(comparable), expected);
    assert.match(r.stderr, /4 records in, 4 out, 0 detections/);
  });

  it('writes to stdout by default and reads standard input as -', async () => {
    const config = join(dir, 'empty.yaml');
    const r = await runCli(['replay', '-c', config, '-'], { input: `${INPUT[1]}\n` });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(decodeLines(r.stdout).map(comparable), decodeLines(INPUT[1]).map(comparable));
  });

  it('counts unreadable lines with file and line, and goes on', async () => {
    const input = join(dir, 'broken.jsonl');
    writeFileSync(input, `${INPUT[1]}\n{"resourceLogs": 7}\nnot json\n${INPUT[1]}\n`);
    const r = await runCli(['replay', '-c', join(dir, 'empty.yaml'), input]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(decodeLines(r.stdout).length, 2, 'the good lines pass');
    assert.match(r.stderr, /2 unreadable \(unreadable_line 2\)/);
    assert.ok(r.stderr.includes(`${input}:2: not an OTLP JSON ExportLogsServiceRequest`), r.stderr);
    assert.ok(r.stderr.includes(`${input}:3: not an OTLP JSON ExportLogsServiceRequest`), r.stderr);
  });

  it('reads a file written on Windows: a UTF-8 byte order mark and CRLF line ends', async () => {
    const input = join(dir, 'windows.jsonl');
    writeFileSync(
      input,
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`${INPUT[0]}\r\n${INPUT[1]}\r\n`)]),
    );
    const r = await runCli(['replay', '-c', join(dir, 'empty.yaml'), input]);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /unreadable/, 'the first line is read despite the byte order mark');
    assert.deepEqual(decodeLines(r.stdout).map(comparable), decodeLines(INPUT.join('\n')).map(comparable));
  });

  it('skips a line longer than 64 MiB without holding it, counted as line_too_long, and reads the lines around it', async () => {
    const input = join(dir, 'long-line.jsonl');
    // One byte past the default bound, and no JSON: held whole, it would be read and then refused as unreadable.
    const long = Buffer.alloc(OTLP_JSON_MAX_LINE_BYTES + 1, 0x61);
    writeFileSync(input, Buffer.concat([Buffer.from(`${INPUT[1]}\n`), long, Buffer.from(`\n${INPUT[1]}\n`)]));
    const r = await runCli(['replay', '-c', join(dir, 'empty.yaml'), input]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(decodeLines(r.stdout).length, 2, 'the lines before and after it are read');
    assert.match(r.stderr, /1 unreadable \(line_too_long 1\)/);
    assert.ok(
      r.stderr.includes(
        `${input}:2: line of ${OTLP_JSON_MAX_LINE_BYTES + 1} bytes is longer than ${OTLP_JSON_MAX_LINE_BYTES} bytes`,
      ),
      r.stderr,
    );
  });

  it('reads an empty file as no records', async () => {
    const input = join(dir, 'empty.jsonl');
    writeFileSync(input, '');
    const r = await runCli(['replay', '-c', join(dir, 'empty.yaml'), input]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /0 records in, 0 out, 0 detections/);
  });

  it('refuses a directory or a missing file among the inputs before writing anything, naming it', async () => {
    const good = join(dir, 'good.jsonl');
    writeFileSync(good, `${INPUT[1]}\n`);
    const output = join(dir, 'not-written', 'out.jsonl');
    const cases: [string, RegExp][] = [
      [dir, new RegExp(`input ${dir} is a directory, not a file`)],
      [join(dir, 'missing.jsonl'), new RegExp(`cannot read input ${join(dir, 'missing.jsonl')} \\(ENOENT`)],
    ];
    for (const [bad, message] of cases) {
      const r = await runCli(['replay', '-c', join(dir, 'empty.yaml'), '-o', output, good, bad]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, message);
      assert.equal(
        existsSync(output),
        false,
        'the good input before it was not replayed into a partial output',
      );
    }
  });

  it('runs the default chain: a beacon becomes a detection, with the detection and blind-spot tables', async () => {
    const input = join(dir, 'beacon.jsonl');
    const base = Date.UTC(2025, 10, 30, 9, 0, 0);
    writeFileSync(
      input,
      `${Array.from({ length: 20 }, (_, i) => connectionRequest('web-1', i * 10, 10, base)).join('\n')}\n`,
    );
    const r = await runCli(['replay', input], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    const out = decodeLines(r.stdout);
    const detections = out.filter((x) => x.eventName === EventName.DETECTION);
    // Fired at the tenth connection, revised when the window closed: one alert, two records of one id.
    assert.equal(detections.length, 2, r.stderr);
    assert.equal(new Set(detections.map((d) => d.attributes[DetectionAttr.ID])).size, 1);
    assert.match(r.stderr, /200 records in, \d+ out, 1 detections \(1 revisions\), 0 lost/);
    for (const stage of [
      'normalize',
      'process_attribution',
      'coverage_report',
      'http_flow_aggregator',
      'novelty_filter',
    ]) {
      // IN, OUT, ADDED, then DROPPED, HELD and LOST all 0: every record accounted for.
      const row = new RegExp(`\\n  ${stage} +(\\d+) +(\\d+) +(\\d+) +0 +0 +0`).exec(r.stderr);
      assert.ok(row, `the summary has a row for ${stage}`);
      const [recordsIn, recordsOut, added] = row.slice(1, 4).map(Number);
      assert.equal(recordsIn, recordsOut - added, `${stage}: in = out - added + dropped + held`);
    }
    // The detector consumes the aggregator's interim updates, each dropped with its reason.
    const detector = /\n {2}ratio_detector +(\d+) +(\d+) +(\d+) +(\d+) +0 +0 +interim_flow (\d+)/.exec(
      r.stderr,
    );
    assert.ok(detector, 'the summary has a row for ratio_detector');
    const [dIn, dOut, dAdded, dDropped, interims] = detector.slice(1, 6).map(Number);
    assert.equal(dDropped, interims);
    assert.equal(dIn, dOut - dAdded + dDropped, 'ratio_detector: in = out - added + dropped');
    assert.match(
      r.stderr,
      /Detections:\nHOST +PROCESS +FIRED \(UTC\) +WINDOW \(UTC\) +CONNS +BYTES OUT +BYTES IN\n[- ]+\n/,
    );
    assert.match(
      r.stderr,
      /web-1 +\/tmp\/\.x\/kworkerd +2025-11-30 09:00:09 +09:00:00–09:10:00 +200 +175\.8 KiB +7\.8 KiB\n {4}score [\d.]+ \w+: AN0145/,
    );
    const table = r.stderr.slice(r.stderr.indexOf('Detections:'), r.stderr.indexOf('Blind spots'));
    for (const line of table.split('\n')) assert.ok(line.length <= 120, `fits 120 columns: ${line}`);
    assert.match(
      r.stderr,
      /Blind spots[^\n]*\nHOST +SOURCE +CONNECTIONS +NO PROCESS +NO BYTES +NO HTTP +MALFORMED\n[- ]+\nweb-1 +test +200 +0 \(0%\) +0 \(0%\) +200 \(100%\) +0\n/,
    );
    assert.equal(
      existsSync(join(dir, '.egressguard')),
      false,
      'a replay without --state-dir writes no state',
    );

    const quiet = await runCli(['replay', '--quiet', input], { cwd: dir });
    assert.equal(quiet.code, 0);
    assert.doesNotMatch(quiet.stderr, /Detections:|Blind spots/);
  });

  it('reads a sensor format through normalize (--format ss)', async () => {
    const input = join(dir, 'ss.txt');
    // Two sockets in `ss -H -tinpO` form, written for this test.
    writeFileSync(
      input,
      [
        'ESTAB 0 0 10.1.2.3:40112 198.51.100.20:80 users:(("curl",pid=7001,fd=5)) cubic rto:204 mss:1448 bytes_sent:512 bytes_acked:513 bytes_received:90210 segs_out:9 segs_in:70',
        'ESTAB 0 0 10.1.2.3:40114 198.51.100.21:8080 users:(("kworkerd",pid=7002,fd=3)) cubic rto:204 mss:1448 bytes_sent:40960 bytes_acked:40961 bytes_received:96 segs_out:40 segs_in:9',
        'this is not ss output',
        '',
      ].join('\n'),
    );
    const r = await runCli(['replay', '-c', join(dir, 'empty.yaml'), '--format', 'ss', input]);
    assert.equal(r.code, 0, r.stderr);
    const out = decodeLines(r.stdout).filter((x) => x.eventName === EventName.CONNECTION);
    assert.deepEqual(
      out.map((x) => [
        x.attributes['process.pid'],
        x.attributes['destination.port'],
        x.attributes['egressguard.source.format'],
      ]),
      [
        [7001, 80, 'ss'],
        [7002, 8080, 'ss'],
      ],
    );
    assert.match(r.stderr, /1 unreadable \(unreadable_line 1\)/);
    assert.ok(r.stderr.includes(`${input}:3: `), r.stderr);
  });

  it('restores and saves state with --state-dir', async () => {
    const input = join(dir, 'beacon2.jsonl');
    writeFileSync(
      input,
      `${Array.from({ length: 20 }, (_, i) => connectionRequest('web-1', i * 10, 10, Date.UTC(2025, 10, 30, 9))).join('\n')}\n`,
    );
    const state = join(dir, 'state');
    const first = await runCli(['replay', '--quiet', '--state-dir', state, input], { cwd: dir });
    assert.equal(first.code, 0, first.stderr);
    const snapshot = JSON.parse(readFileSync(join(state, 'logs.json'), 'utf8')) as {
      version: number;
      stages: Record<string, unknown>;
    };
    assert.equal(snapshot.version, 1);
    assert.ok(snapshot.stages.novelty_filter, 'the baseline is saved');
    const second = await runCli(['replay', '--quiet', '--state-dir', state, input], { cwd: dir });
    assert.equal(second.code, 0, second.stderr);
    assert.notEqual(second.stderr, first.stderr, 'the second run starts from the first run’s state');
  });
});
