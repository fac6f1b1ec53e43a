import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';

import type { PipelineRecord } from '@egressguard/schema';

import { readSensorFile } from '../src/reader.ts';
import { FIXTURES, fixtureText, readAll, view } from './read-all.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'egressguard-normalize-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('readSensorFile', () => {
  it('recognises the format and summarises per source format with malformed line numbers', async () => {
    const { summary } = await readAll(path.join(FIXTURES, 'auditd-events.log'), 'auto');
    assert.equal(summary.format, 'auditd');
    assert.equal(summary.lines, 32);
    assert.deepEqual(summary.recordsBySourceFormat, { auditd: 8 });
    assert.equal(summary.malformed, 1);
    assert.deepEqual(summary.malformedByFormat, { auditd: 1 });
    assert.equal(summary.malformedLines[0].line, 23);
  });

  it('streams in batches and frames pretty-printed JSON objects across lines', async () => {
    const event = (i: number) =>
      JSON.stringify(
        {
          process_exec: { process: { pid: i, binary: '/bin/true', exec_id: `e${i}` } },
          node_name: 'n',
          time: '2025-11-30T00:00:00Z',
        },
        null,
        2,
      );
    const file = path.join(dir, 'pretty.json');
    // 50 objects over several lines each, ten of them joined `}{`, and a truncated one after the first 20.
    const parts = Array.from({ length: 50 }, (_, i) => event(i));
    const text = `${parts.slice(0, 20).join('\n')}\n{"process_exec": {\n${parts.slice(20, 30).join('')}\n${parts.slice(30).join('\n')}\n`;
    writeFileSync(file, text);
    const reader = readSensorFile(file, 'auto', { host: 'h', batchLines: 100 });
    const sizes: number[] = [];
    let pids: number[] = [];
    const errors: number[] = [];
    for await (const batch of reader) {
      sizes.push(batch.records.length);
      pids = pids.concat(batch.records.map((r) => r.attributes['process.pid'] as number));
      errors.push(...batch.errors.map((e) => e.line));
    }
    assert.ok(sizes.length > 2, `expected several batches, got ${sizes.join(',')}`);
    assert.deepEqual(
      pids,
      Array.from({ length: 50 }, (_, i) => i),
    );
    assert.deepEqual(
      errors,
      [20 * event(0).split('\n').length + 1],
      'the truncated object is reported on the line it started',
    );
    assert.equal(reader.summary.format, 'tetragon');
  });

  it('names the file, the formats tried and the first line when no line at all is recognised', async () => {
    const file = path.join(dir, 'junk.txt');
    writeFileSync(file, 'hello\nworld\n');
    const reader = readSensorFile(file, 'auto');
    const errors: number[] = [];
    await assert.rejects(
      async () => {
        for await (const batch of reader) errors.push(...batch.errors.map((e) => e.line));
      },
      (e: Error) =>
        e.message.includes(file) &&
        e.message.includes('tried auditd, sysmon, falco, tetragon, auditbeat, zeek, tcplife, ss') &&
        e.message.includes('first line is "hello"'),
    );
    assert.deepEqual(errors, [1, 2], 'each line is reported before the reader gives up');
    assert.deepEqual(reader.summary.skipped, { unrecognized: 2 });
    assert.throws(() => readSensorFile(file, 'nope'), /unknown sensor format "nope"/);
    assert.throws(() => readSensorFile(file, 'auto', { maxLineBytes: 0 }), /maxLineBytes/);
  });

  it('auto: lines before the first recognised one are counted as unrecognized under that format, not fatal', async () => {
    const file = path.join(dir, 'banner.txt');
    writeFileSync(
      file,
      [
        'Attaching 3 probes...',
        'Tracing TCP sessions. Hit Ctrl-C to end.',
        'PID   COMM   LADDR      LPORT RADDR        RPORT TX_B RX_B MS',
        '9201  curl   10.0.0.8   50700 192.0.2.91   80    412  9031 35',
        '',
      ].join('\n'),
    );
    const { records, errors, summary } = await readAll(file, 'auto');
    assert.equal(records.length, 1);
    assert.deepEqual(
      errors.map((e) => [e.line, e.counter]),
      [
        [1, 'unrecognized'],
        [2, 'unrecognized'],
      ],
    );
    assert.equal(summary.format, 'tcplife');
    assert.deepEqual(summary.malformedByFormat, { tcplife: 2 });
  });

  it('auto: a file mixing formats is read line by line, each line by the format that recognises it', async () => {
    const file = path.join(dir, 'mixed.txt');
    const tcplife = fixtureText('tcplife-bpftrace-bytes.txt').trimEnd().split('\n');
    const auditd = fixtureText('auditd-events.log').trimEnd().split('\n');
    const zeek = fixtureText('zeek-conn.json.log').trimEnd().split('\n');
    writeFileSync(file, [...tcplife, ...auditd, ...zeek, ...tcplife.slice(1)].join('\n') + '\n');
    const mixed = await readAll(file, 'auto');
    const alone = await Promise.all([
      readAll(path.join(FIXTURES, 'tcplife-bpftrace-bytes.txt'), 'tcplife'),
      readAll(path.join(FIXTURES, 'auditd-events.log'), 'auditd'),
      readAll(path.join(FIXTURES, 'zeek-conn.json.log'), 'zeek'),
    ]);
    assert.deepEqual(mixed.summary.formats, ['tcplife', 'auditd', 'zeek']);
    assert.deepEqual(mixed.summary.recordsBySourceFormat, {
      tcplife: 2 * alone[0].records.length,
      auditd: alone[1].records.length,
      'zeek.conn': alone[2].records.length,
    });
  });

  it('auto reads every fixture of the package as its own format does', async () => {
    for (const [file, format] of FIXTURE_FORMATS) {
      const auto = await readAll(path.join(FIXTURES, file), 'auto');
      const fixed = await readAll(path.join(FIXTURES, file), format);
      assert.deepEqual(auto.summary.formats, [format], file);
      // Formats without a time column date records when they are read: compare the rest.
      const untimed = (r: PipelineRecord) => ({ ...view(r), time: undefined });
      assert.deepEqual(auto.records.map(untimed), fixed.records.map(untimed), file);
      // Only lines before the first recognised one may differ: auto counts them as unrecognized.
      assert.equal(
        auto.summary.malformed - (auto.summary.skipped.unrecognized ?? 0),
        fixed.summary.malformed,
        file,
      );
    }
  });

  it('skips a line longer than maxLineBytes without holding it, counts it, and reads on', async () => {
    const file = path.join(dir, 'long-line.log');
    const lines = fixtureText('auditd-events.log').split('\n');
    writeFileSync(file, [lines[0], 'x'.repeat(3 * 1024 * 1024), ...lines.slice(1)].join('\n'));
    const base = await readAll(path.join(FIXTURES, 'auditd-events.log'), 'auditd');
    const { records, errors, summary } = await readAll(file, 'auditd');
    assert.equal(records.length, base.records.length);
    assert.deepEqual(summary.skipped, { line_too_long: 1 });
    const tooLong = errors.find((e) => e.counter === 'line_too_long');
    assert.equal(tooLong?.line, 2);
    assert.match(tooLong.reason, /3145728 bytes is longer than 1048576/);
  });

  it('drops records dated outside 1970..2200 with a counted reason, and reads on', async () => {
    const file = path.join(dir, 'far-future.csv');
    writeFileSync(
      file,
      [
        'START_UNIX,PID,COMM,LADDR,LPORT,RADDR,RPORT,TX_B,RX_B,MS,EST',
        '18446744073709551616.000000,4242,implant,10.0.2.15,41822,198.51.100.7,80,89,84,12,1',
        '7258118400.000000,4242,implant,10.0.2.15,41823,198.51.100.7,80,89,84,12,1',
        '1764460800.250000,4242,implant,10.0.2.15,41824,198.51.100.7,80,89,84,12,1',
        '',
      ].join('\n'),
    );
    const { records, errors, summary } = await readAll(file, 'tcplife');
    assert.equal(records.length, 1);
    assert.equal(records[0].attributes['source.port'], 41824);
    assert.deepEqual(summary.skipped, { time_out_of_range: 2 });
    assert.deepEqual(
      errors.map((e) => e.line),
      [2, 3],
    );
    assert.equal(summary.malformed, 2);
  });
});

/** The package's fixtures and the format each is written in. */
const FIXTURE_FORMATS: [file: string, format: string][] = [
  ['auditbeat-socket.ndjson', 'auditbeat'],
  ['auditd-events.log', 'auditd'],
  ['falco-alerts.jsonl', 'falco'],
  ['ss-O-headers.txt', 'ss'],
  ['ss-polls.txt', 'ss'],
  ['ss-state-established.txt', 'ss'],
  ['sysmon-events.log', 'sysmon'],
  ['tcplife-T.txt', 'tcplife'],
  ['tcplife-bpftrace-bytes.txt', 'tcplife'],
  ['tcplife-bpftrace.txt', 'tcplife'],
  ['tcplife-csv.txt', 'tcplife'],
  ['tcplife-default.txt', 'tcplife'],
  ['tcplife-egressguard-tracer.csv', 'tcplife'],
  ['tcplife-t.txt', 'tcplife'],
  ['tcplife-wide.txt', 'tcplife'],
  ['tetragon-events.jsonl', 'tetragon'],
  ['zeek-conn.json.log', 'zeek'],
  ['zeek-conn.log', 'zeek'],
  ['zeek-http.json.log', 'zeek'],
  ['zeek-http.log', 'zeek'],
];
