/**
 * `egressguard.unreadable_input` records: what the `normalize` processor (`report_unreadable`) and the file reader
 * (`reportUnreadable`) could not read, one record per batch, host and source format with the count.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';

import { assertRecordsConserved, hostResource } from '@egressguard/core/testing';
import { Pipeline, setErrorHandler, stderrErrorHandler } from '@egressguard/core';
import { PipelineRecord, type ReadonlyPipelineRecord } from '@egressguard/schema';

import { normalizeFactory, readSensorFile } from '../src/index.ts';
import { FIXTURES } from './read-all.ts';

const create = (config: unknown = {}) =>
  normalizeFactory.create(normalizeFactory.config.parse(config), { id: 'normalize', now: () => 1_000 });

function raw(body: unknown, host: string): PipelineRecord {
  return new PipelineRecord({
    body,
    resource: hostResource(host),
    instrumentationScope: { name: 'filelog' },
  });
}

const HEADER = 'START_UNIX,PID,COMM,LADDR,LPORT,RADDR,RPORT,TX_B,RX_B,MS,EST';
const ROW = (port: number) => `1764460800.250000,4242,implant,10.0.2.15,${port},198.51.100.7,80,89,84,12,1`;

/** [host, source format, count] of each unreadable-input record. */
function unreadable(records: readonly ReadonlyPipelineRecord[]): [unknown, unknown, unknown][] {
  return records
    .filter((r) => r.eventName === 'egressguard.unreadable_input')
    .map((r) => [
      r.resource.attributes['host.name'],
      r.attributes['egressguard.source.format'],
      r.attributes['egressguard.unreadable_input.count'],
    ]);
}

async function quietly<T>(f: () => Promise<T>): Promise<T> {
  setErrorHandler(() => {});
  try {
    return await f();
  } finally {
    setErrorHandler(stderrErrorHandler);
  }
}

describe('normalize report_unreadable', () => {
  const batch = () => [
    raw(HEADER, 'web-01'),
    raw(ROW(41_001), 'web-01'),
    raw('1764460800.3,not-a-pid,x,10.0.2.15,1,198.51.100.7,80,1,1,1,1', 'web-01'),
    raw(`${'9'.repeat(5000)}.0,4242,implant,10.0.2.15,41823,198.51.100.7,80,89,84,12,1`, 'web-01'),
    raw('18446744073709551616.000000,4242,implant,10.0.2.15,41822,198.51.100.7,80,89,84,12,1', 'web-01'),
    raw(HEADER, 'web-02'),
    raw(42, 'web-02'),
    raw('no sensor writes this', 'web-03'),
  ];

  it('is off by default: no record of its own', async () => {
    const out = await quietly(() => create({ max_line_bytes: 4096 }).process(batch()));
    assert.deepEqual(unreadable(out), []);
  });

  it('emits one record per host and source format of the batch with the count of lines it could not read', async () => {
    const p = create({ max_line_bytes: 4096, report_unreadable: true });
    const out = await quietly(() => p.process(batch()));
    const dropped = p.counters().dropped;
    // web-01: the row with a bad pid, the line too long, the row dated past 2200; web-02: a body that is no line;
    // web-03: a line no format recognises (no format known for that stream).
    assert.deepEqual(unreadable(out), [
      ['web-01', 'tcplife', 3],
      ['web-02', undefined, 1],
      ['web-03', undefined, 1],
    ]);
    assert.equal(
      (dropped.malformed ?? 0) +
        (dropped.line_too_long ?? 0) +
        (dropped.time_out_of_range ?? 0) +
        (dropped.unrecognized ?? 0),
      5,
    );
    // Observed at the processor's clock, without an event time of their own.
    const first = out.find((r) => r.eventName === 'egressguard.unreadable_input')!;
    assert.deepEqual(first.hrTime, [0, 0]);
    assert.deepEqual(first.hrTimeObserved, [1, 0]);
    // The next batch starts a new count.
    const next = await quietly(() => p.process([raw(ROW(41_002), 'web-01')]));
    assert.deepEqual(unreadable(next), []);
  });

  it('keeps every record accounted for in a pipeline: the records are added, the lines dropped', async () => {
    const pipeline = Pipeline.of([create({ max_line_bytes: 4096, report_unreadable: true })]);
    const input = batch();
    const out = await quietly(() => pipeline.process(input));
    assertRecordsConserved(pipeline);
    const [balance] = Object.values(pipeline.balance());
    // In: 8 raw lines. Out: 1 connection and 3 unreadable-input records (added). Dropped: the 2 headers and the
    // connection row as parsed, the 5 unreadable lines.
    assert.deepEqual(
      [balance.recordsIn, balance.recordsOut, balance.added, balance.dropped, balance.lost],
      [input.length, 4, 4, 8, 0],
    );
    assert.equal(unreadable(out).length, 3);
  });
});

describe('readSensorFile reportUnreadable', () => {
  it('adds, after the records of each batch, the count of what the batch could not read, summing to the summary', async () => {
    const file = path.join(FIXTURES, 'auditd-events.log');
    const plain = readSensorFile(file, 'auditd', { host: 'sensor-host' });
    const plainRecords: PipelineRecord[] = [];
    for await (const b of plain) plainRecords.push(...b.records);
    assert.ok(plain.summary.malformed > 0, 'the fixture has unreadable lines');
    assert.deepEqual(unreadable(plainRecords), []);

    const reader = readSensorFile(file, 'auditd', {
      host: 'sensor-host',
      batchLines: 4,
      reportUnreadable: true,
      now: () => 2_000,
    });
    const records: PipelineRecord[] = [];
    for await (const b of reader) {
      const kinds = b.records.map((r) => r.eventName === 'egressguard.unreadable_input');
      // Unreadable-input records come last in their batch.
      assert.deepEqual(kinds, [...kinds].sort());
      records.push(...b.records);
    }
    const counts = unreadable(records);
    assert.ok(counts.length > 0);
    for (const [host, source] of counts) assert.deepEqual([host, source], ['sensor-host', 'auditd']);
    assert.equal(
      counts.reduce((n, [, , c]) => n + (c as number), 0),
      reader.summary.malformed,
    );
    // The records the parser produced are the same as without the option.
    assert.equal(records.length - counts.length, plainRecords.length);
  });

  it('with auto, counts the lines before the first recognised one under that format', async () => {
    const file = path.join(FIXTURES, 'tcplife-egressguard-tracer.csv');
    const reader = readSensorFile(file, 'auto', { host: 'h', reportUnreadable: true });
    const records: PipelineRecord[] = [];
    for await (const b of reader) records.push(...b.records);
    const total = unreadable(records).reduce((n, [, , c]) => n + (c as number), 0);
    assert.equal(total, reader.summary.malformed);
    for (const [, source] of unreadable(records)) assert.equal(source, 'tcplife');
  });
});
