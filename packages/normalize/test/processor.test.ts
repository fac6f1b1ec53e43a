import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { Pipeline, setErrorHandler, stderrErrorHandler, type ReportedError } from '@egressguard/core';
import { assertRecordsConserved, hostResource, makeConnection } from '@egressguard/core/testing';
import { PipelineRecord, createResource } from '@egressguard/schema';

import { normalizeFactory } from '../src/index.ts';
import { fixtureLines } from './read-all.ts';

const create = (config: unknown = {}) =>
  normalizeFactory.create(normalizeFactory.config.parse(config), { id: 'normalize', now: () => 0 });

/** A raw record as the Collector's filelog receiver delivers one line. */
function raw(body: string | Record<string, unknown>, host?: string): PipelineRecord {
  return new PipelineRecord({
    body: body,
    resource: host ? hostResource(host) : createResource({ 'service.name': 'filelog' }),
    instrumentationScope: { name: 'filelog' },
  });
}

function captureErrors(): { errors: ReportedError[]; restore: () => void } {
  const errors: ReportedError[] = [];
  setErrorHandler((e) => errors.push(e));
  return { errors, restore: () => setErrorHandler(stderrErrorHandler) };
}

describe('normalize processor', () => {
  it('drops a body longer than max_line_bytes unread and a record dated past 2200, counted, and reads on', async () => {
    const p = create({ format: 'auto', max_line_bytes: 4096 });
    const cap = captureErrors();
    try {
      const tracer = [
        'START_UNIX,PID,COMM,LADDR,LPORT,RADDR,RPORT,TX_B,RX_B,MS,EST',
        '18446744073709551616.000000,4242,implant,10.0.2.15,41822,198.51.100.7,80,89,84,12,1',
        `${'9'.repeat(5000)}.0,4242,implant,10.0.2.15,41823,198.51.100.7,80,89,84,12,1`,
        '1764460800.250000,4242,implant,10.0.2.15,41824,198.51.100.7,80,89,84,12,1',
      ];
      const out = await p.process(tracer.map((l) => raw(l, 'h')));
      assert.deepEqual(
        out.map((r) => r.attributes['source.port']),
        [41824],
      );
      assert.equal(p.counters().dropped.time_out_of_range, 1);
      assert.equal(p.counters().dropped.line_too_long, 1);
      assert.deepEqual([...new Set(cap.errors.map((e) => e.reason))].sort(), [
        'line_too_long',
        'time_out_of_range',
      ]);
    } finally {
      cap.restore();
    }
  });

  it('accounts for every raw record in a pipeline: parsed, malformed, too long or dated out of range', async () => {
    const lines = [
      'START_UNIX,PID,COMM,LADDR,LPORT,RADDR,RPORT,TX_B,RX_B,MS,EST',
      '18446744073709551616.000000,4242,implant,10.0.2.15,41822,198.51.100.7,80,89,84,12,1',
      `${'9'.repeat(5000)}.0,4242,implant,10.0.2.15,41823,198.51.100.7,80,89,84,12,1`,
      '1764460800.250000,4242,implant,10.0.2.15,41824,198.51.100.7,80,89,84,12,1',
      'not,a,tcplife,row',
    ];
    const cap = captureErrors();
    try {
      const pipeline = new Pipeline().addStage('normalize', () =>
        create({ format: 'auto', max_line_bytes: 4096 }),
      );
      const out = await pipeline.process(lines.map((l) => raw(l, 'h')));
      out.push(...(await pipeline.shutdown()));
      assert.equal(out.length, 1);
      const b = pipeline.balance().normalize;
      assert.deepEqual([b.recordsIn, b.passed, b.added, b.dropped, b.held, b.lost], [5, 0, 1, 5, 0, 0]);
      assertRecordsConserved(pipeline);
      assert.deepEqual(
        cap.errors.filter((e) => e.reason.startsWith('records_')),
        [],
      );
    } finally {
      cap.restore();
    }
  });

  it('parses raw auditd lines spread over batches, keeping the Collector resource', async () => {
    const lines = fixtureLines('auditd-events.log').filter((l) => l !== '');
    const p = create({ format: 'auditd' });
    const cap = captureErrors();
    try {
      const out1 = await p.process(lines.slice(0, 7).map((l) => raw(l, 'collector-host')));
      const out2 = await p.process(lines.slice(7).map((l) => raw(l, 'collector-host')));
      const flushed = await p.shutdown();
      const all = [...out1, ...out2, ...flushed];
      assert.equal(out1.length, 1, 'serial 5001 completes on its EOE in the first batch');
      assert.equal(all.length, 8);
      // The input resource has host.name: it wins over node= and is shared by every output record.
      for (const r of all) assert.equal(r.resource, hostResource('collector-host'));
      assert.equal(p.counters().dropped.malformed, 1);
      assert.equal(cap.errors.filter((e) => e.reason === 'malformed').length, 1);
      assert.match(cap.errors.find((e) => e.reason === 'malformed')!.message, /record 15 \(auditd\)/);
      assert.equal(p.counters().events.ignored_af_unix, 1);
    } finally {
      cap.restore();
    }
  });

  it('uses the host the sensor names when the input resource has none, and recognises formats per record', async () => {
    const falco = fixtureLines('falco-alerts.jsonl')[0];
    const sysmon = fixtureLines('sysmon-events.log')[1];
    const p = create();
    const out = await p.process([raw(falco), raw(sysmon)]);
    assert.deepEqual(
      out.map((r) => [r.attributes['egressguard.source.format'], r.resource.attributes['host.name']]),
      [
        ['falco', 'web-01'],
        ['sysmon', 'web-01'],
      ],
    );
    assert.equal(out[0].resource, out[1].resource, 'one shared resource per host');
    await p.shutdown();
  });

  it('accepts map bodies (decoded JSON) and passes schema records untouched', async () => {
    const line = fixtureLines('tetragon-events.jsonl')[0];
    const already = makeConnection({
      'process.pid': 1,
      'destination.address': '192.0.2.1',
      'destination.port': 80,
    });
    const before = JSON.stringify(already.attributes);
    const p = create();
    const out = await p.process([already, raw(JSON.parse(line) as Record<string, unknown>, 'k8s-node')]);
    assert.equal(out[0], already);
    assert.equal(JSON.stringify(out[0].attributes), before);
    assert.equal(out[1].eventName, 'egressguard.process.exec');
    assert.equal(out[1].attributes['process.pid'], 4242);
    await p.shutdown();
  });

  it('drops a malformed record without losing the rest of the batch', async () => {
    const lines = fixtureLines('falco-alerts.jsonl').filter((l) => l !== '');
    const cap = captureErrors();
    try {
      const p = create({ format: 'falco' });
      const batch = [raw(lines[0]), raw('{"broken": '), raw(12 as never), raw(lines[1])];
      const out = await p.process(batch);
      assert.equal(out.length, 2);
      assert.equal(p.counters().dropped.malformed, 2);
      assert.deepEqual(
        cap.errors.map((e) => e.message.split(':')[0]),
        ['record 1 (falco)', 'record 2'],
      );
      await p.shutdown();
    } finally {
      cap.restore();
    }
  });

  it('drops or passes unrecognised records as configured', async () => {
    const cap = captureErrors();
    try {
      const drop = create();
      assert.deepEqual(await drop.process([raw('just some syslog line')]), []);
      assert.equal(drop.counters().dropped.unrecognized, 1);
      const pass = create({ on_unrecognized: 'pass' });
      const rec = raw('just some syslog line');
      assert.deepEqual(await pass.process([rec]), [rec]);
    } finally {
      cap.restore();
    }
  });

  it('snapshots open auditd events and restores them', async () => {
    const lines = fixtureLines('auditd-events.log');
    const a = create();
    // Lines 1-5: both events open (no EOE yet).
    assert.deepEqual(await a.process(lines.slice(0, 5).map((l) => raw(l))), []);
    const snap = JSON.parse(JSON.stringify(a.snapshot())) as NonNullable<ReturnType<typeof a.snapshot>>;
    const b = create();
    b.restore(snap);
    const out = await b.process(lines.slice(5, 9).map((l) => raw(l)));
    assert.deepEqual(
      out.map((r) => r.attributes['egressguard.source.id']),
      ['5001', '5002'],
    );
    assert.equal(out[0].attributes['process.command_line'], '/tmp/.x/kworkerd --beacon -i 60');
    assert.throws(() => b.restore({ version: 2 }), /version 2/);
  });

  it('bounds the parsers kept and emits what an evicted parser held', async () => {
    const p = create({ format: 'auditd', max_parsers: 1 });
    const open = (host: string, serial: number) =>
      raw(
        `type=SYSCALL msg=audit(1764460800.000:${serial}): arch=c000003e syscall=42 success=yes exit=0 ppid=1 pid=${serial} uid=0 euid=0 comm="c" exe="/c"`,
        host,
      );
    const sock = (host: string, serial: number) =>
      raw(`type=SOCKADDR msg=audit(1764460800.000:${serial}): saddr=020000500A0000010000000000000000`, host);
    await p.process([open('h1', 1), sock('h1', 1)]);
    const out = await p.process([open('h2', 2)]);
    assert.equal(out.length, 1);
    assert.equal(out[0].resource.attributes['host.name'], 'h1');
    assert.equal(p.counters().events.parsers_evicted, 1);
    assert.deepEqual(p.counters().state, { entries: 1, maxEntries: 1 });
  });

  it('rejects an unknown format name naming the key', () => {
    assert.throws(
      () => normalizeFactory.config.parse({ format: 'pcap' }, 'processors.normalize'),
      /processors\.normalize\.format/,
    );
  });
});
