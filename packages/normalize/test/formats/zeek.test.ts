import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  BytesKind,
  ConnectionAttr,
  EventName,
  HttpAttr,
  NetworkAttr,
  Outcome,
  ProvenanceAttr,
  hrTimeToMs,
  type PipelineRecord,
} from '@egressguard/schema';

import { createZeekFormat, zeekFormat } from '../../src/formats/zeek.ts';
import { feed, fixedHostOptions } from '../feed-parser.ts';
import { fixtureLines as lines, sharedSampleText } from '../read-all.ts';

const options = fixedHostOptions('zeek-sensor');
const sensorHost = options.defaultResource;

const byId = (records: PipelineRecord[]): Map<string, PipelineRecord> =>
  new Map(records.map((r) => [String(r.attributes[ProvenanceAttr.SOURCE_ID]), r]));

function checkCommon(records: PipelineRecord[]): void {
  for (const r of records) {
    assert.equal(r.eventName, EventName.CONNECTION);
    assert.equal(r.resource, sensorHost, 'records share the default resource object');
  }
}

function checkFixtureResult(records: PipelineRecord[]): void {
  checkCommon(records);
  const got = byId(records);
  assert.deepEqual(
    [...got.keys()].sort(),
    [
      'CHttpOnly0000001',
      'CJoin1a2b3c4d5e6f',
      'CMidstream000001',
      'CNoReply0000000001',
      'CRejected00000001',
      'CStillOpen0000001',
      'CUnsetLocal00001',
    ],
    'inbound (local_orig F) and ICMP rows are not connections of a local process',
  );

  const joined = got.get('CJoin1a2b3c4d5e6f')!;
  assert.deepEqual(joined.attributes, {
    [NetworkAttr.TRANSPORT]: 'tcp',
    [NetworkAttr.TYPE]: 'ipv4',
    [NetworkAttr.SOURCE_ADDRESS]: '10.1.2.3',
    [NetworkAttr.SOURCE_PORT]: 49152,
    [NetworkAttr.DESTINATION_ADDRESS]: '203.0.113.10',
    [NetworkAttr.DESTINATION_PORT]: 80,
    [NetworkAttr.PROTOCOL_NAME]: 'http',
    [NetworkAttr.SERVER_ADDRESS]: 'updates.example.net',
    [ConnectionAttr.BYTES_SENT]: 4256,
    [ConnectionAttr.BYTES_RECEIVED]: 1402,
    [ConnectionAttr.DURATION_MS]: 250.118,
    [ConnectionAttr.OUTCOME]: Outcome.COMPLETED,
    [HttpAttr.REQUEST_METHOD]: 'GET',
    [HttpAttr.RESPONSE_STATUS_CODE]: 200,
    [HttpAttr.URL_FULL]: 'http://updates.example.net/v1/check?id=7 x',
    [HttpAttr.REQUEST_BODY_SIZE]: 4096,
    [HttpAttr.RESPONSE_BODY_SIZE]: 514,
    [ProvenanceAttr.SOURCE_FORMAT]: 'zeek.conn',
    [ProvenanceAttr.SOURCE_ID]: 'CJoin1a2b3c4d5e6f',
    [ProvenanceAttr.BYTES_KIND]: BytesKind.PAYLOAD,
  });
  assert.deepEqual(joined.hrTime, [1764460800, 123456000], 'ts is read exactly, to the microsecond');

  const s0 = got.get('CNoReply0000000001')!.attributes;
  assert.equal(s0[ConnectionAttr.OUTCOME], Outcome.FAILED);
  for (const key of [ConnectionAttr.BYTES_SENT, ConnectionAttr.BYTES_RECEIVED, ConnectionAttr.DURATION_MS]) {
    assert.equal(key in s0, false, `unset "-" ${key} stays missing, never 0`);
  }
  assert.equal(ProvenanceAttr.BYTES_KIND in s0, false, 'no bytes, no bytes kind');
  assert.equal(NetworkAttr.PROTOCOL_NAME in s0, false);

  const rej = got.get('CRejected00000001')!.attributes;
  assert.equal(rej[ConnectionAttr.OUTCOME], Outcome.FAILED);
  assert.equal(rej[ConnectionAttr.BYTES_SENT], 0, 'a real 0 stays 0');
  assert.equal(got.get('CStillOpen0000001')!.attributes[ConnectionAttr.OUTCOME], Outcome.OPEN);
  assert.equal(
    got.get('CStillOpen0000001')!.attributes[NetworkAttr.PROTOCOL_NAME],
    undefined,
    'ssl is not http',
  );
  assert.equal(got.get('CMidstream000001')!.attributes[ConnectionAttr.OUTCOME], Outcome.UNKNOWN);
  const unset = got.get('CUnsetLocal00001')!.attributes;
  assert.equal(unset[ConnectionAttr.OUTCOME], Outcome.COMPLETED, 'RSTO: established, then aborted');
  assert.equal(unset[NetworkAttr.SOURCE_ADDRESS], '10.1.2.3', 'unset local_orig: the originator is local');

  const httpOnly = got.get('CHttpOnly0000001')!;
  assert.deepEqual(httpOnly.attributes, {
    [NetworkAttr.TRANSPORT]: 'tcp',
    [NetworkAttr.TYPE]: 'ipv4',
    [NetworkAttr.SOURCE_ADDRESS]: '10.1.2.3',
    [NetworkAttr.SOURCE_PORT]: 49180,
    [NetworkAttr.DESTINATION_ADDRESS]: '203.0.113.20',
    [NetworkAttr.DESTINATION_PORT]: 8080,
    [NetworkAttr.PROTOCOL_NAME]: 'http',
    [NetworkAttr.SERVER_ADDRESS]: '2001:db8::20',
    [HttpAttr.REQUEST_METHOD]: 'GET',
    [HttpAttr.RESPONSE_STATUS_CODE]: 204,
    [HttpAttr.URL_FULL]: 'http://[2001:db8::20]:8080/status',
    [HttpAttr.REQUEST_BODY_SIZE]: 0,
    [HttpAttr.RESPONSE_BODY_SIZE]: 64,
    [ProvenanceAttr.SOURCE_FORMAT]: 'zeek.http',
    [ProvenanceAttr.SOURCE_ID]: 'CHttpOnly0000001',
  });
  assert.equal(hrTimeToMs(httpOnly.hrTime), 1764460809000);
}

describe('zeek format', () => {
  it('joins TSV conn.log and http.log on uid, conn.log first', () => {
    const parser = zeekFormat.createParser(options);
    const { records, errors } = feed(parser, lines('zeek-conn.log'), lines('zeek-http.log'));
    checkFixtureResult(records);
    assert.deepEqual(errors, [{ line: 16, reason: 'row has 5 fields, the #fields header names 21' }]);
    assert.deepEqual(parser.counters?.(), {
      other_logs_ignored: 1,
      inbound_skipped: 2,
      joined: 1,
      conn_only: 5,
      http_only: 1,
      pending_uids: 0,
    });
  });

  it('joins TSV logs the same when http.log comes first', () => {
    const { records, errors } = feed(
      zeekFormat.createParser(options),
      lines('zeek-http.log'),
      lines('zeek-conn.log'),
    );
    checkFixtureResult(records);
    assert.equal(errors.length, 1);
  });

  it('joins JSON writer logs in both orders, and reports the broken line', () => {
    for (const order of [
      ['zeek-conn.json.log', 'zeek-http.json.log'],
      ['zeek-http.json.log', 'zeek-conn.json.log'],
    ]) {
      const { records, errors } = feed(zeekFormat.createParser(options), ...order.map(lines));
      checkFixtureResult(records);
      assert.equal(errors.length, 1);
      assert.equal(errors[0].reason, 'not a JSON object');
      assert.equal(errors[0].line, 9);
    }
  });

  it('accepts decoded objects and interleaved rows of both logs', () => {
    const conn = lines('zeek-conn.json.log')
      .slice(0, 8)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const http = lines('zeek-http.json.log')
      .slice(0, 4)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const { records } = feed(zeekFormat.createParser(options), [
      http[0],
      conn[0],
      http[1],
      ...conn.slice(1),
      ...http.slice(2),
    ]);
    checkFixtureResult(records);
  });

  it('emits a conn row once the http.log clock passed its end + the wait, and an http row after the conn clock did', () => {
    const parser = createZeekFormat({ joinWaitMs: 10_000 }).createParser(options);
    const conn = (uid: string, ts: number) =>
      JSON.stringify({
        ts,
        uid,
        'id.orig_h': '10.0.0.1',
        'id.orig_p': 40000,
        'id.resp_h': '192.0.2.9',
        'id.resp_p': 80,
        proto: 'tcp',
        duration: 2,
        conn_state: 'SF',
        orig_bytes: 10,
        resp_bytes: 20,
      });
    const http = (uid: string, ts: number) =>
      JSON.stringify({
        ts,
        uid,
        'id.orig_h': '10.0.0.1',
        'id.orig_p': 40001,
        'id.resp_h': '192.0.2.9',
        'id.resp_p': 80,
        trans_depth: 1,
        method: 'GET',
        host: 'a.example',
        uri: '/',
      });
    assert.equal(parser.push(conn('C1', 1000), 1).records.length, 0, 'waits for http rows');
    assert.equal(
      parser.push(http('H1', 1011.9), 2).records.length,
      0,
      'http clock 1011.9 s < conn end 1002 s + 10 s? no: 1011.9 > 1012 is false',
    );
    const due = parser.push(http('H2', 1012.5), 3).records;
    assert.deepEqual(
      due.map((r) => r.attributes[ProvenanceAttr.SOURCE_ID]),
      ['C1'],
    );
    assert.equal(due[0].attributes[HttpAttr.REQUEST_METHOD], undefined, 'emitted as is');
    const late = parser.push(conn('C2', 1030), 4).records;
    assert.deepEqual(late.map((r) => r.attributes[ProvenanceAttr.SOURCE_ID]).sort(), ['H1', 'H2']);
    assert.ok(late.every((r) => r.attributes[ProvenanceAttr.SOURCE_FORMAT] === 'zeek.http'));
    assert.deepEqual(
      parser.end().records.map((r) => r.attributes[ProvenanceAttr.SOURCE_ID]),
      ['C2'],
    );
  });

  it('bounds the join buffer: past maxPendingUids the entry due first goes out unjoined', () => {
    const parser = createZeekFormat({ maxPendingUids: 2 }).createParser(options);
    const conn = (uid: string, ts: number) => ({
      ts,
      uid,
      'id.orig_h': '10.0.0.1',
      'id.orig_p': 40000,
      'id.resp_h': '192.0.2.9',
      'id.resp_p': 80,
      proto: 'tcp',
      conn_state: 'SF',
    });
    assert.equal(parser.push(conn('A', 100), 1).records.length, 0);
    assert.equal(parser.push(conn('B', 50), 2).records.length, 0);
    const out = parser.push(conn('C', 200), 3).records;
    assert.deepEqual(
      out.map((r) => r.attributes[ProvenanceAttr.SOURCE_ID]),
      ['B'],
    );
    assert.equal(parser.counters?.()['evicted'], 1);
    assert.equal(parser.counters?.()['pending_uids'], 2);
  });

  it('maps every documented conn_state', () => {
    const expected: Record<string, string> = {
      S0: 'failed',
      REJ: 'failed',
      RSTOS0: 'failed',
      SH: 'failed',
      SF: 'completed',
      S2: 'completed',
      S3: 'completed',
      RSTO: 'completed',
      RSTR: 'completed',
      S1: 'open',
      OTH: 'unknown',
      SHR: 'unknown',
      RSTRH: 'unknown',
      XYZ: 'unknown',
    };
    const parser = zeekFormat.createParser(options);
    Object.keys(expected).forEach((state, i) =>
      parser.push(
        {
          ts: 1 + i,
          uid: `C${state}`,
          'id.orig_h': '10.0.0.1',
          'id.orig_p': 1000 + i,
          'id.resp_h': '192.0.2.1',
          'id.resp_p': 80,
          proto: 'tcp',
          conn_state: state,
        },
        i + 1,
      ),
    );
    const got = Object.fromEntries(
      parser
        .end()
        .records.map((r) => [
          String(r.attributes[ProvenanceAttr.SOURCE_ID]).slice(1),
          r.attributes[ConnectionAttr.OUTCOME],
        ]),
    );
    assert.deepEqual(got, expected);
  });

  it('names what is wrong with a bad row', () => {
    const parser = zeekFormat.createParser(options);
    assert.deepEqual(parser.push('1764460800.0\tCx\t10.0.0.1', 4).errors, [
      { line: 4, reason: 'data row before any #fields header' },
    ]);
    assert.deepEqual(
      parser.push({ uid: 'C9', ts: 'yesterday', 'id.orig_h': '10.0.0.1', proto: 'tcp', conn_state: 'SF' }, 5)
        .errors,
      [{ line: 5, reason: 'conn.log row C9: ts is not a Zeek time' }],
    );
    assert.deepEqual(
      parser.push(
        {
          uid: 'C8',
          ts: 5,
          'id.orig_h': '10.0.0.1',
          'id.orig_p': 99999,
          'id.resp_h': '192.0.2.1',
          'id.resp_p': 80,
          conn_state: 'SF',
        },
        6,
      ).errors,
      [{ line: 6, reason: 'conn.log row C8: id.orig_p or id.resp_p is not a port' }],
    );
  });

  it('recognises Zeek headers and JSON rows, not other formats', () => {
    assert.equal(zeekFormat.recognize('#separator \\x09'), true);
    assert.equal(zeekFormat.recognize(lines('zeek-http.json.log')[0]), true);
    assert.equal(zeekFormat.recognize('PID   COMM       LADDR'), false);
    assert.equal(zeekFormat.recognize({ '@timestamp': 'x', event: { dataset: 'system.socket' } }), false);
  });
});

describe('zeek format on the shared samples', () => {
  const text = sharedSampleText('zeek-rita', 'json__conn.log');
  it(
    'reads every row of a real JSON conn.log',
    { skip: text === undefined ? 'shared telemetry samples not present' : false },
    () => {
      const { records, errors } = feed(zeekFormat.createParser(options), text!.split('\n'));
      assert.deepEqual(errors, []);
      assert.ok(records.length > 0);
      for (const r of records) {
        assert.equal(typeof r.attributes[NetworkAttr.DESTINATION_ADDRESS], 'string');
        assert.ok(r.hrTime[0] > 1_500_000_000);
      }
    },
  );
});
