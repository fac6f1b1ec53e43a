/**
 * `google.rpc.Status` with a `google.rpc.RetryInfo` detail, as gRPC carries it in the `grpc-status-details-bin`
 * trailer: the receiver writes one when saturated ("the server … MAY supply additional details via status using
 * RetryInfo", OTLP/gRPC throttling), the gRPC exporter reads the hint back. Field numbers from
 * `google/rpc/status.proto`, `google/rpc/error_details.proto`, `google/protobuf/any.proto` and `duration.proto`.
 */
import protobuf from 'protobufjs/minimal.js';

import { FIELD, WIRE } from './otlp-logs-descriptor.ts';

/** The `Any.type_url` of a `RetryInfo` detail. */
export const RETRY_INFO_TYPE_URL = 'type.googleapis.com/google.rpc.RetryInfo';

const ANY = { type_url: 1, value: 2 } as const;
const RETRY_INFO = { retry_delay: 1 } as const;
const DURATION = { seconds: 1, nanos: 2 } as const;

const tag = (field: number, wire: number): number => (field << 3) | wire;

/** A serialized `google.rpc.Status` {code, message, details: [RetryInfo{retry_delay}]}. */
export function statusWithRetryInfo(code: number, message: string, retryAfterMs: number): Buffer {
  const ms = Math.max(0, Math.round(retryAfterMs));
  const seconds = Math.floor(ms / 1000);
  const nanos = (ms % 1000) * 1_000_000;
  const writer = protobuf.Writer.create()
    .uint32(tag(FIELD.Status.code, WIRE.VARINT))
    .int32(code)
    .uint32(tag(FIELD.Status.message, WIRE.LEN))
    .string(message)
    .uint32(tag(FIELD.Status.details, WIRE.LEN))
    .fork()
    .uint32(tag(ANY.type_url, WIRE.LEN))
    .string(RETRY_INFO_TYPE_URL)
    .uint32(tag(ANY.value, WIRE.LEN))
    .fork()
    .uint32(tag(RETRY_INFO.retry_delay, WIRE.LEN))
    .fork()
    .uint32(tag(DURATION.seconds, WIRE.VARINT))
    .int64(seconds)
    .uint32(tag(DURATION.nanos, WIRE.VARINT))
    .int32(nanos)
    .ldelim()
    .ldelim()
    .ldelim();
  return Buffer.from(writer.finish());
}

/**
 * The `RetryInfo.retry_delay` of a serialized `google.rpc.Status`, in milliseconds; `undefined` when the status has
 * no RetryInfo or cannot be read (a hint is optional: a broken one is ignored, never an error).
 */
export function retryDelayMs(status: Uint8Array): number | undefined {
  try {
    const reader = protobuf.Reader.create(status);
    while (reader.pos < reader.len) {
      const t = reader.uint32();
      if (t >>> 3 !== FIELD.Status.details || (t & 7) !== WIRE.LEN) {
        reader.skipType(t & 7);
        continue;
      }
      const delay = readAny(reader.bytes());
      if (delay !== undefined) return delay;
    }
  } catch {
    return undefined;
  }
  return undefined;
}

function readAny(any: Uint8Array): number | undefined {
  const reader = protobuf.Reader.create(any);
  let typeUrl = '';
  let value: Uint8Array | undefined;
  while (reader.pos < reader.len) {
    const t = reader.uint32();
    if (t >>> 3 === ANY.type_url && (t & 7) === WIRE.LEN) typeUrl = reader.string();
    else if (t >>> 3 === ANY.value && (t & 7) === WIRE.LEN) value = reader.bytes();
    else reader.skipType(t & 7);
  }
  if (typeUrl !== RETRY_INFO_TYPE_URL || value === undefined) return undefined;
  const info = protobuf.Reader.create(value);
  while (info.pos < info.len) {
    const t = info.uint32();
    if (t >>> 3 !== RETRY_INFO.retry_delay || (t & 7) !== WIRE.LEN) {
      info.skipType(t & 7);
      continue;
    }
    const duration = protobuf.Reader.create(info.bytes());
    let seconds = 0;
    let nanos = 0;
    while (duration.pos < duration.len) {
      const d = duration.uint32();
      if (d >>> 3 === DURATION.seconds && (d & 7) === WIRE.VARINT) seconds = int64Number(duration.int64());
      else if (d >>> 3 === DURATION.nanos && (d & 7) === WIRE.VARINT) nanos = duration.int32();
      else duration.skipType(d & 7);
    }
    return Math.max(0, seconds * 1000 + Math.round(nanos / 1_000_000));
  }
  return undefined;
}

/** An int64 read by protobufjs as a number: it is a number or a `Long`, depending on whether `long` is installed. */
export function int64Number(value: number | protobuf.Long): number {
  return typeof value === 'number' ? value : value.high * 4294967296 + (value.low >>> 0);
}
