import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  decodeLogsJson,
  decodeLogsProto,
  encodeLogsJson,
  encodeLogsJsonBytes,
  encodeLogsJsonLine,
  encodeLogsProto,
} from '../src/index.ts';
import { RESOURCE_A, SCOPE_SENSOR, sampleRecords } from './support/sample-records.ts';

interface JsonRequest {
  resourceLogs: {
    schemaUrl?: string;
    resource: { attributes: { key: string }[] };
    scopeLogs: {
      schemaUrl?: string;
      scope: { name: string; attributes?: unknown[] };
      logRecords: {
        traceId?: string;
        spanId?: string;
        timeUnixNano: string;
        attributes: { key: string; value: Record<string, unknown> }[];
      }[];
    }[];
  }[];
}

describe('encodeLogsJson', () => {
  it('writes one OTLP/JSON line with hex ids, string nanos, integer intValues, base64 bytes', () => {
    const records = sampleRecords(4);
    const line = encodeLogsJson(records);
    assert.ok(!line.includes('\n'));
    const request = JSON.parse(line) as JsonRequest;
    const first = request.resourceLogs[0].scopeLogs[0].logRecords[0];
    assert.equal(first.traceId, records[0].spanContext!.traceId);
    assert.match(first.traceId, /^[0-9a-f]{32}$/);
    assert.match(first.spanId!, /^[0-9a-f]{16}$/);
    assert.equal(first.timeUnixNano, '1764460800123456789');
    const attr = (key: string): Record<string, unknown> => first.attributes.find((a) => a.key === key)!.value;
    assert.deepEqual(attr('process.pid'), { intValue: 4000 });
    assert.deepEqual(attr('egressguard.test.bytes'), {
      bytesValue: Buffer.from([0xde, 0xad, 0xbe, 0xef, 0]).toString('base64'),
    });
    assert.deepEqual(attr('egressguard.test.ratio'), { doubleValue: 0.25 });
  });

  it('groups by resource and scope identity and keeps resource schema URL and scope attributes', () => {
    const records = sampleRecords(8);
    const request = JSON.parse(encodeLogsJson(records)) as JsonRequest;
    assert.equal(request.resourceLogs.length, 2);
    assert.equal(request.resourceLogs[0].schemaUrl, RESOURCE_A.schemaUrl);
    assert.equal(request.resourceLogs[0].scopeLogs.length, 2);
    assert.equal(request.resourceLogs[1].scopeLogs.length, 1);
    const sensor = request.resourceLogs[0].scopeLogs[0];
    assert.equal(sensor.scope.name, SCOPE_SENSOR.name);
    assert.equal(sensor.schemaUrl, SCOPE_SENSOR.schemaUrl);
    assert.equal(sensor.scope.attributes!.length, 2);
  });
});

describe('encodeLogsJsonBytes and encodeLogsJsonLine', () => {
  it('are the UTF-8 bytes of encodeLogsJson, the line with one newline at its end', () => {
    const records = sampleRecords(8);
    // Text beyond ASCII, and a newline inside a value, which JSON escapes: the line stays one line.
    records[0].attributes['egressguard.test.text'] = 'naïve “quoted” 日本語 🚀\nsecond line';
    const text = encodeLogsJson(records);
    assert.deepEqual(Buffer.from(encodeLogsJsonBytes(records)), Buffer.from(text, 'utf8'));
    const line = Buffer.from(encodeLogsJsonLine(records));
    assert.deepEqual(line, Buffer.from(`${text}\n`, 'utf8'));
    assert.equal(line.indexOf(0x0a), line.length - 1);
    assert.equal(
      decodeLogsJson(line.toString('utf8')).records[0].attributes['egressguard.test.text'],
      'naïve “quoted” 日本語 🚀\nsecond line',
    );
  });

  it('encode no records as an empty request', () => {
    assert.equal(Buffer.from(encodeLogsJsonBytes([])).toString('utf8'), '{"resourceLogs":[]}');
    assert.equal(Buffer.from(encodeLogsJsonLine([])).toString('utf8'), '{"resourceLogs":[]}\n');
    assert.equal(encodeLogsJson([]), '{"resourceLogs":[]}');
  });
});

describe('encodeLogsProto', () => {
  it('encodes the same request as JSON does (decoded both ways to equal records)', () => {
    const records = sampleRecords(10);
    const viaProto = decodeLogsProto(encodeLogsProto(records)).records;
    const viaJson = decodeLogsJson(encodeLogsJson(records)).records;
    assert.equal(viaProto.length, 10);
    for (let i = 0; i < viaProto.length; i++) {
      assert.deepEqual(viaProto[i].attributes, viaJson[i].attributes);
      assert.deepEqual(viaProto[i].hrTime, viaJson[i].hrTime);
      assert.deepEqual(viaProto[i].body, viaJson[i].body);
      assert.deepEqual(viaProto[i].instrumentationScope, viaJson[i].instrumentationScope);
    }
  });

  it('survives decode then encode then decode (a receiver forwarding what it received)', () => {
    const first = decodeLogsProto(encodeLogsProto(sampleRecords(6))).records;
    const second = decodeLogsProto(encodeLogsProto(first)).records;
    assert.deepEqual(
      second.map((r) => [
        r.attributes,
        r.resource.attributes,
        r.resource.schemaUrl,
        r.instrumentationScope,
        r.spanContext,
      ]),
      first.map((r) => [
        r.attributes,
        r.resource.attributes,
        r.resource.schemaUrl,
        r.instrumentationScope,
        r.spanContext,
      ]),
    );
  });

  it('encodes no records as an empty request', () => {
    assert.equal(encodeLogsProto([]).length, 0);
    assert.deepEqual(decodeLogsJson(encodeLogsJson([])), { records: [], rejected: [] });
  });
});
