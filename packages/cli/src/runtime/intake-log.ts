/**
 * What one write-ahead log entry holds for `egressguard run`: the id of the receiver that accepted a request and its
 * records as one OTLP/protobuf `ExportLogsServiceRequest` (the OTLP codec keeps resources, scopes and every record
 * field, so replaying an entry feeds the chain what the original request fed it).
 *
 * Layout: receiver id length (u8), receiver id (UTF-8), OTLP/protobuf bytes.
 */
import { decodeLogsProto, encodeLogsProto } from '@egressguard/otlp';
import type { PipelineRecord } from '@egressguard/schema';

const utf8 = new TextEncoder();
const text = new TextDecoder();

/** A decoded entry. */
export interface IntakeEntry {
  readonly receiverId: string;
  readonly records: PipelineRecord[];
  /** Records of the entry the decoder could not read back (never expected: they were encoded by us). */
  readonly unreadable: number;
}

/** Encodes the records one receiver accepted in one request. */
export function encodeIntakeEntry(receiverId: string, records: readonly PipelineRecord[]): Buffer {
  const id = utf8.encode(receiverId);
  if (id.length > 255)
    throw new RangeError(`egressguard: receiver id ${receiverId} is longer than 255 bytes`);
  const body = encodeLogsProto(records);
  const out = Buffer.allocUnsafe(1 + id.length + body.length);
  out[0] = id.length;
  out.set(id, 1);
  out.set(body, 1 + id.length);
  return out;
}

/** Decodes an entry written by {@link encodeIntakeEntry}; throws when the bytes are not one. */
export function decodeIntakeEntry(payload: Uint8Array): IntakeEntry {
  if (payload.length < 1 || payload.length < 1 + payload[0])
    throw new Error('egressguard: write-ahead log entry is shorter than its receiver id');
  const receiverId = text.decode(payload.subarray(1, 1 + payload[0]));
  const buf = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  const decoded = decodeLogsProto(buf.subarray(1 + payload[0]));
  return { receiverId, records: decoded.records, unreadable: decoded.rejected.length };
}
