import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import protobuf from 'protobufjs/minimal.js';

import { runNativesChild } from '@egressguard/core/testing';

import {
  OtlpDecodeError,
  decodeLogsJson,
  decodeLogsProto,
  encodeLogsJson,
  encodeLogsProto,
} from '../src/index.ts';
import { decodeLogsProtoReflection } from '../src/internal/reflection-decoder.ts';
import { assertSameGrouping, assertSameRecords, sampleRecords } from './support/sample-records.ts';
import { goodRecord, message, request, stringAttribute } from './support/wire.ts';

describe('decodeLogsProto', () => {
  it('gives every record an attribute dictionary of its own that is a plain object, in both decoders', () => {
    const records = sampleRecords(4);
    for (const decoded of [
      decodeLogsProto(encodeLogsProto(records)).records,
      decodeLogsJson(encodeLogsJson(records)).records,
    ]) {
      const [a, b] = decoded.map((r) => r.attributes);
      assert.notEqual(a, b);
      assert.equal(
        Object.getPrototypeOf(a),
        Object.prototype,
        'as a literal: nothing inherited but Object.prototype',
      );
      assert.equal(a.constructor, Object);
      assert.deepEqual({ ...a }, a, 'deep-equal to a literal with the same attributes');
      a['egressguard.test.added'] = 1;
      assert.equal(b['egressguard.test.added'], undefined, 'adding to one changes no other');
      const reparsed = JSON.parse(JSON.stringify(a)) as Record<string, unknown>;
      assert.equal(reparsed['egressguard.test.added'], 1);
    }
  });

  it('gives attribute dictionaries room: two attributes added to a record of many keep it out of V8 dictionary mode', () => {
    // A V8 property, observable only with --allow-natives-syntax: checked in a child process.
    const { json, proto } = runNativesChild<{ json: [number, number]; proto: [number, number] }>(
      join(import.meta.dirname, 'support', 'dictionary-mode-child.ts'),
    );
    assert.ok(json[1] > 0 && proto[1] > 0);
    assert.deepEqual(json, [json[1], json[1]], 'every JSON-decoded record still in fast mode');
    assert.deepEqual(proto, [proto[1], proto[1]], 'every protobuf-decoded record still in fast mode');
  });

  it('decodes what the OpenTelemetry serializer encodes, exactly (round trip)', () => {
    const records = sampleRecords(12);
    const decoded = decodeLogsProto(encodeLogsProto(records));
    assert.deepEqual(decoded.rejected, []);
    // The serializer groups by resource then scope; compare in that order.
    const grouped = [...records].sort(
      (a, b) => order(a) - order(b) || records.indexOf(a) - records.indexOf(b),
    );
    assertSameRecords(decoded.records, grouped);
    assertSameGrouping(decoded.records, grouped);
    assert.equal(decoded.records[0].attributes['egressguard.connection.bytes_sent'], 1_000_000_000_000);
    assert.ok(Object.hasOwn(decoded.records[0].attributes['egressguard.test.map'] as object, '__proto__'));
    assert.equal(
      Object.getPrototypeOf(decoded.records[0].attributes['egressguard.test.map']),
      Object.prototype,
    );

    function order(r: (typeof records)[number]): number {
      const resourceOrder = r.resource === records[0].resource ? 0 : 1;
      const scopes = [
        ...new Set(records.filter((x) => x.resource === r.resource).map((x) => x.instrumentationScope)),
      ];
      return resourceOrder * 10 + scopes.indexOf(r.instrumentationScope);
    }
  });

  it('agrees with protobufjs reflection decoding of the same bytes', () => {
    const body = encodeLogsProto(sampleRecords(9));
    const fast = decodeLogsProto(body).records;
    const reference = decodeLogsProtoReflection(body);
    assertSameRecords(fast, reference);
  });

  it('reads int64 values over the whole range, negative ones included', () => {
    const values = [
      0,
      1,
      -1,
      127,
      128,
      2 ** 31 - 1,
      -(2 ** 31),
      2 ** 32,
      2 ** 35 + 7,
      -(2 ** 40) - 3,
      Number.MAX_SAFE_INTEGER,
      Number.MIN_SAFE_INTEGER,
    ];
    const body = request(
      'h',
      values.map((v) => (w: protobuf.Writer) => {
        message(w, 6, (kv) => {
          kv.uint32((1 << 3) | 2).string('n');
          message(kv, 2, (av) => av.uint32((3 << 3) | 0).int64(v));
        });
      }),
    );
    assert.deepEqual(
      decodeLogsProto(body).records.map((r) => r.attributes['n']),
      values,
    );
  });

  it('keeps every nanosecond of times beyond 2^53 and beyond the year 2116', () => {
    const times = [1_764_460_800_123_456_789n, 1n, 999_999_999n, 4_611_686_018_427_387_904n + 5n];
    const body = request(
      'h',
      times.map((t) => (w: protobuf.Writer) => {
        w.uint32((1 << 3) | 1)
          .fixed32(Number(t & 0xffffffffn))
          .fixed32(Number(t >> 32n));
      }),
    );
    const decoded = decodeLogsProto(body).records.map(
      (r) => BigInt(r.hrTime[0]) * 1_000_000_000n + BigInt(r.hrTime[1]),
    );
    assert.deepEqual(decoded, times);
    for (const r of decodeLogsProto(body).records) assert.ok(r.hrTime[1] >= 0 && r.hrTime[1] < 1e9);
  });

  it('rejects a record dated after 2200 (2^64 - 1 ns, year 2554) alone, naming the field', () => {
    const far = 18_446_744_073_709_551_615n;
    const body = request('h', [
      goodRecord('first'),
      (w: protobuf.Writer) => {
        w.uint32((11 << 3) | 1)
          .fixed32(Number(far & 0xffffffffn))
          .fixed32(Number(far >> 32n));
      },
    ]);
    const decoded = decodeLogsProto(body);
    assert.equal(decoded.records.length, 1);
    assert.equal(decoded.rejected.length, 1);
    assert.equal(decoded.rejected[0].index, 1);
    assert.match(
      decoded.rejected[0].reason,
      /observed_time_unix_nano 18446744073 s is outside 1970-01-01\.\.2200/,
    );
  });

  it('rejects a broken record alone and keeps the others, with index and reason', () => {
    const body = request('h', [
      goodRecord('first'),
      (w) => w.uint32((9 << 3) | 2).bytes(new Uint8Array([1, 2, 3])), // trace_id of 3 bytes
      goodRecord('third'),
      (w) => {
        // An attribute whose AnyValue carries int_value with the length-delimited wire type.
        message(w, 6, (kv) => {
          kv.uint32((1 << 3) | 2).string('bad');
          message(kv, 2, (av) => av.uint32((3 << 3) | 2).string('x'));
        });
      },
      (w) => {
        // A string whose length runs past the record into the next one.
        w.uint32((3 << 3) | 2).uint32(40);
      },
      goodRecord('sixth'),
    ]);
    const decoded = decodeLogsProto(body);
    assert.deepEqual(
      decoded.records.map((r) => r.eventName),
      ['first', 'third', 'sixth'],
    );
    assert.deepEqual(
      decoded.rejected.map((r) => r.index),
      [1, 3, 4],
    );
    assert.match(decoded.rejected[0].reason, /trace_id must be 16 bytes, got 3/);
    assert.match(
      decoded.rejected[1].reason,
      /attributes\["bad"\].*AnyValue field 3 has wire type 2, expected 0/,
    );
    assert.match(decoded.rejected[2].reason, /log_records\[4\]: (index out of range|.*runs past)/);
  });

  it('rejects every record of a resource whose attributes are broken, and only those', () => {
    const w = protobuf.Writer.create();
    message(w, 1, (rl) => {
      message(rl, 1, (res) =>
        message(res, 1, (kv) =>
          kv
            .uint32((1 << 3) | 2)
            .string('k')
            .uint32((2 << 3) | 0)
            .uint32(1),
        ),
      );
      message(rl, 2, (sl) => {
        message(sl, 2, goodRecord('a'));
        message(sl, 2, goodRecord('b'));
      });
    });
    message(w, 1, (rl) => message(rl, 2, (sl) => message(sl, 2, goodRecord('c'))));
    const decoded = decodeLogsProto(w.finish());
    assert.deepEqual(
      decoded.records.map((r) => r.eventName),
      ['c'],
    );
    assert.deepEqual(
      decoded.rejected.map((r) => r.index),
      [0, 1],
    );
    assert.match(
      decoded.rejected[0].reason,
      /resource_logs\[0\]\.resource: KeyValue field 2 has wire type 0/,
    );
  });

  it('skips unknown fields and the profiling-only fields', () => {
    const body = request(
      'h',
      [
        (w) => {
          w.uint32((12 << 3) | 2).string('with-unknowns');
          w.uint32((99 << 3) | 0).uint32(5); // unknown varint field
          w.uint32((100 << 3) | 2).string('unknown bytes');
          w.uint32((101 << 3) | 5).fixed32(7);
          message(w, 6, (kv) => {
            kv.uint32((1 << 3) | 2).string('k');
            kv.uint32((3 << 3) | 0).int32(4); // key_strindex
            message(kv, 2, (av) => av.uint32((8 << 3) | 0).int32(3)); // string_value_strindex only
          });
          stringAttribute(w, 6, 'plain', 'v');
        },
      ],
      (sl) => sl.uint32((77 << 3) | 1).fixed64(1),
    );
    const decoded = decodeLogsProto(body);
    assert.deepEqual(decoded.rejected, []);
    assert.equal(decoded.records[0].eventName, 'with-unknowns');
    assert.deepEqual(decoded.records[0].attributes, { k: null, plain: 'v' });
  });

  it('masks the reserved bits of flags and leaves unset fields unset', () => {
    const body = request('h', [(w) => w.uint32((8 << 3) | 5).fixed32(0xabcd01), () => undefined]);
    const [withFlags, empty] = decodeLogsProto(body).records;
    assert.deepEqual(withFlags.spanContext, { traceId: '', spanId: '', traceFlags: 1 });
    assert.equal(empty.spanContext, undefined);
    assert.equal(empty.severityNumber, undefined);
    assert.equal(empty.severityText, undefined);
    assert.equal(empty.eventName, undefined);
    assert.equal(empty.body, undefined);
    assert.deepEqual(empty.hrTime, [0, 0]);
    assert.deepEqual(empty.instrumentationScope, { name: 'hand.built' });
  });

  it('rejects values nested deeper than the limit instead of overflowing the stack', () => {
    const body = request('h', [
      (w) => {
        message(w, 5, function nest(this: void, av: protobuf.Writer, depth = 0): void {
          if (depth === 200) av.uint32((1 << 3) | 2).string('bottom');
          else message(av, 5, (arr) => message(arr, 1, (inner) => nest(inner, depth + 1)));
        });
      },
    ]);
    const decoded = decodeLogsProto(body);
    assert.equal(decoded.records.length, 0);
    assert.match(decoded.rejected[0].reason, /nested deeper than 64/);
  });

  it('throws OtlpDecodeError naming the problem for a body that is not OTLP', () => {
    const garbage = [
      new TextEncoder().encode('{"resourceLogs": []}'),
      new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]),
      new Uint8Array([0x0a, 0x05, 0x01]),
      new Uint8Array([0x00, 0x01]),
      new Uint8Array([0x0f]),
    ];
    for (const body of garbage) {
      assert.throws(
        () => decodeLogsProto(body),
        (error: unknown) => {
          assert.ok(error instanceof OtlpDecodeError, String(error));
          assert.match(error.message, /OTLP|resource_logs|runs past|wire type|field/);
          return true;
        },
      );
    }
  });

  it('decodes an empty body as an empty request', () => {
    assert.deepEqual(decodeLogsProto(new Uint8Array(0)), { records: [], rejected: [] });
  });
});
