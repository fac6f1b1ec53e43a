import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { MAX_VALUE_DEPTH, OtlpDecodeError, decodeLogsJson, encodeLogsJson } from '../src/index.ts';
import { assertSameGrouping, assertSameRecords, sampleRecords } from './support/sample-records.ts';

/** A request in the OTLP/JSON form of the specification's examples, written by hand. */
const SPEC_SHAPED = {
  resourceLogs: [
    {
      resource: {
        attributes: [{ key: 'host.name', value: { stringValue: 'web-01' } }],
        droppedAttributesCount: 0,
      },
      schemaUrl: 'https://opentelemetry.io/schemas/1.30.0',
      scopeLogs: [
        {
          scope: {
            name: 'my.library',
            version: '1.0.0',
            attributes: [{ key: 'my.scope.attribute', value: { stringValue: 'some scope attribute' } }],
          },
          schemaUrl: 'https://opentelemetry.io/schemas/1.29.0',
          logRecords: [
            {
              timeUnixNano: '1544712660300000000',
              observedTimeUnixNano: 1544712660300000000,
              severityNumber: 10,
              severityText: 'Information',
              traceId: '5B8EFFF798038103D269B633813FC60C',
              spanId: 'EEE19B7EC3C1B174',
              flags: 1,
              eventName: 'egressguard.connection',
              body: { stringValue: 'Example log record' },
              attributes: [
                { key: 'string.attribute', value: { stringValue: 'some string' } },
                { key: 'boolean.attribute', value: { boolValue: true } },
                { key: 'int.attribute', value: { intValue: '10' } },
                { key: 'int.number', value: { intValue: 10 } },
                { key: 'double.attribute', value: { doubleValue: 637.704 } },
                { key: 'double.nan', value: { doubleValue: 'NaN' } },
                { key: 'bytes.attribute', value: { bytesValue: '3q2+7w==' } },
                {
                  key: 'array.attribute',
                  value: { arrayValue: { values: [{ stringValue: 'many' }, { stringValue: 'values' }] } },
                },
                {
                  key: 'map.attribute',
                  value: {
                    kvlistValue: { values: [{ key: 'some.map.key', value: { stringValue: 'some value' } }] },
                  },
                },
                { key: 'empty.value', value: {} },
                { key: 'no.value' },
              ],
              someFutureField: { ignored: true },
            },
          ],
        },
      ],
    },
  ],
};

describe('decodeLogsJson', () => {
  it('reads the OTLP/JSON encoding: hex ids, int64 as string or number, exact nanos, every value kind', () => {
    const decoded = decodeLogsJson(JSON.stringify(SPEC_SHAPED));
    assert.deepEqual(decoded.rejected, []);
    const [r] = decoded.records;
    assert.deepEqual(r.hrTime, [1544712660, 300000000]);
    assert.deepEqual(r.hrTimeObserved, [1544712660, 300000000]);
    assert.deepEqual(r.spanContext, {
      traceId: '5b8efff798038103d269b633813fc60c',
      spanId: 'eee19b7ec3c1b174',
      traceFlags: 1,
    });
    assert.equal(r.severityNumber, 10);
    assert.equal(r.severityText, 'Information');
    assert.equal(r.eventName, 'egressguard.connection');
    assert.equal(r.body, 'Example log record');
    assert.deepEqual(r.attributes, {
      'string.attribute': 'some string',
      'boolean.attribute': true,
      'int.attribute': 10,
      'int.number': 10,
      'double.attribute': 637.704,
      'double.nan': NaN,
      'bytes.attribute': new Uint8Array([0xde, 0xad, 0xbe, 0xef]),
      'array.attribute': ['many', 'values'],
      'map.attribute': { 'some.map.key': 'some value' },
      'empty.value': null,
      'no.value': null,
    });
    assert.equal(Object.getPrototypeOf(r.attributes['bytes.attribute']), Uint8Array.prototype);
    assert.deepEqual(r.resource.attributes, { 'host.name': 'web-01' });
    assert.equal(r.resource.schemaUrl, 'https://opentelemetry.io/schemas/1.30.0');
    assert.deepEqual(r.instrumentationScope, {
      name: 'my.library',
      version: '1.0.0',
      attributes: { 'my.scope.attribute': 'some scope attribute' },
      schemaUrl: 'https://opentelemetry.io/schemas/1.29.0',
    });
  });

  it('round-trips what the OpenTelemetry JSON serializer writes (bytes, kvlists, arrays, ids, schema URLs, scope attributes)', () => {
    const records = sampleRecords(8);
    const line = encodeLogsJson(records);
    const decoded = decodeLogsJson(line);
    assert.deepEqual(decoded.rejected, []);
    const byGroup = [...decoded.records];
    // Same set of records, in the serializer's grouped order: match them by their unique pid.
    const expected = byGroup.map((d) =>
      records.find((r) => r.attributes['process.pid'] === d.attributes['process.pid'])!,
    );
    assertSameRecords(decoded.records, expected);
    assertSameGrouping(decoded.records, expected);
  });

  it('accepts Uint8Array bodies and the original snake_case names; lowerCamelCase wins when both are present', () => {
    const body = {
      resource_logs: [
        {
          resource: { attributes: [{ key: 'host.name', value: { string_value: 'h' } }] },
          scope_logs: [
            {
              log_records: [
                {
                  time_unix_nano: '5',
                  severity_number: 'SEVERITY_NUMBER_WARN',
                  event_name: 'snake',
                  eventName: 'camel',
                  trace_id: '',
                  span_id: '',
                },
              ],
            },
          ],
        },
      ],
    };
    const decoded = decodeLogsJson(new TextEncoder().encode(JSON.stringify(body)));
    assert.deepEqual(decoded.rejected, []);
    assert.equal(decoded.records[0].eventName, 'camel');
    assert.deepEqual(decoded.records[0].hrTime, [0, 5]);
    assert.equal(decoded.records[0].severityNumber, 13);
    assert.equal(decoded.records[0].spanContext, undefined);
    assert.deepEqual(decoded.records[0].resource.attributes, { 'host.name': 'h' });
  });

  it('rejects a record dated after 2200 alone, naming the field, and keeps the rest', () => {
    const body = {
      resourceLogs: [
        {
          scopeLogs: [
            {
              logRecords: [
                { timeUnixNano: '1764460800000000000' },
                { timeUnixNano: '18446744073709551615' },
                { observedTimeUnixNano: 7.3e18 },
                { timeUnixNano: '7258118399000000000' },
              ],
            },
          ],
        },
      ],
    };
    const decoded = decodeLogsJson(JSON.stringify(body));
    assert.equal(decoded.records.length, 2);
    assert.deepEqual(
      decoded.rejected.map((r) => r.index),
      [1, 2],
    );
    assert.match(
      decoded.rejected[0].reason,
      /time_unix_nano 18446744073 s is outside 1970-01-01\.\.2200-01-01/,
    );
    assert.match(decoded.rejected[1].reason, /observed_time_unix_nano 7300000000 s is outside/);
  });

  it('rejects broken records one by one, with index and reason, and keeps the rest', () => {
    const ok = { eventName: 'ok', attributes: [{ key: 'a', value: { intValue: '1' } }] };
    const body = {
      resourceLogs: [
        {
          scopeLogs: [
            {
              logRecords: [
                ok,
                { attributes: [{ key: 'bad', value: { intValue: 'twelve' } }] },
                { traceId: 'xyz' },
                ok,
                { timeUnixNano: '-5' },
                { attributes: [{ key: 'two', value: { stringValue: 'a', boolValue: true } }] },
                'not an object',
                { body: { bytesValue: '***' } },
                ok,
              ],
            },
          ],
        },
        { resource: { attributes: 'nope' }, scopeLogs: [{ logRecords: [ok, ok] }] },
      ],
    };
    const decoded = decodeLogsJson(JSON.stringify(body));
    assert.equal(decoded.records.length, 3);
    assert.deepEqual(
      decoded.rejected.map((r) => r.index),
      [1, 2, 4, 5, 6, 7, 9, 10],
    );
    const reasons = decoded.rejected.map((r) => r.reason);
    assert.match(reasons[0], /attributes\["bad"\]\.intValue must be an integer/);
    assert.match(reasons[1], /traceId must be 32 hex digits/);
    assert.match(reasons[2], /timeUnixNano must be a decimal integer/);
    assert.match(reasons[3], /more than one of the AnyValue oneof fields/);
    assert.match(reasons[4], /must be an object, got string/);
    assert.match(reasons[5], /bytesValue must be a base64 string/);
    assert.match(reasons[6], /resourceLogs\[1\]\.resource: attributes must be an array/);
  });

  it('throws OtlpDecodeError naming what was wrong for a body that is not an OTLP/JSON request', () => {
    const cases: [string | Uint8Array, RegExp][] = [
      ['not json', /not JSON/],
      ['[1,2]', /must be a JSON object/],
      ['{"resourceLogs": {}}', /resourceLogs must be an array/],
      ['{"resourceLogs": [{"scopeLogs": 3}]}', /resourceLogs\[0\]\.scopeLogs must be an array/],
      [
        '{"resourceLogs": [{"scopeLogs": [{"logRecords": "x"}]}]}',
        /scopeLogs\[0\]\.logRecords must be an array/,
      ],
      [new Uint8Array([0x7b, 0xff, 0x7d]), /not valid UTF-8/],
    ];
    for (const [body, pattern] of cases) {
      assert.throws(
        () => decodeLogsJson(body),
        (error: unknown) => error instanceof OtlpDecodeError && pattern.test(error.message),
        String(body),
      );
    }
  });

  it('rejects values nested deeper than MAX_VALUE_DEPTH, in attributes, kvlists and bodies, and keeps the rest', () => {
    const nest = (levels: number, wrap: (inner: string, i: number) => string): string => {
      let v = '{"stringValue":"bottom"}';
      for (let i = 0; i < levels; i++) v = wrap(v, i);
      return v;
    };
    const array = (inner: string) => `{"arrayValue":{"values":[${inner}]}}`;
    const kvlist = (inner: string, i: number) =>
      `{"kvlistValue":{"values":[{"key":"k${i}","value":${inner}}]}}`;
    const tooDeep = MAX_VALUE_DEPTH + 1;
    const body = `{"resourceLogs":[{"scopeLogs":[{"logRecords":[
      {"attributes":[{"key":"deep","value":${nest(tooDeep, array)}}]},
      {"attributes":[{"key":"deep","value":${nest(tooDeep, kvlist)}}]},
      {"body":${nest(tooDeep, array)}},
      {"attributes":[{"key":"at.limit","value":${nest(MAX_VALUE_DEPTH, array)}}]}]}]}]}`;
    const decoded = decodeLogsJson(body);
    assert.deepEqual(
      decoded.rejected.map((r) => r.index),
      [0, 1, 2],
    );
    for (const r of decoded.rejected) assert.match(r.reason, /value nested deeper than 64 levels$/);
    assert.match(
      decoded.rejected[0].reason,
      /^resourceLogs\[0\]\.scopeLogs\[0\]\.logRecords\[0\]: attributes\["deep"\]\[0\]/,
    );
    assert.match(decoded.rejected[1].reason, /attributes\["deep"\]\["k64"\]\["k63"\]/);
    assert.match(decoded.rejected[2].reason, /logRecords\[2\]: body\[0\]/);
    assert.equal(decoded.records.length, 1, 'a value exactly at the limit is kept');
    let value: unknown = decoded.records[0].attributes['at.limit'];
    let depth = 0;
    while (Array.isArray(value)) {
      value = value[0];
      depth++;
    }
    assert.deepEqual([depth, value], [MAX_VALUE_DEPTH, 'bottom']);
  });

  it('ignores unknown fields everywhere and treats null as unset', () => {
    const decoded = decodeLogsJson(
      '{"future":1,"resourceLogs":[{"x":{},"resource":null,"scopeLogs":[{"scope":null,"logRecords":[{"body":null,"severityNumber":null,"y":[1]}]}]}]}',
    );
    assert.deepEqual(decoded.rejected, []);
    assert.equal(decoded.records.length, 1);
    assert.equal(decoded.records[0].body, undefined);
    assert.deepEqual(decoded.records[0].instrumentationScope, { name: '' });
  });
});
