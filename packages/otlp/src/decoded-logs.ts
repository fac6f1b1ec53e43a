/**
 * What the OTLP decoders return, and the error they throw when a body cannot be read at all.
 */
import type { PipelineRecord } from '@egressguard/schema';

/** One log record the decoder refused, with why. */
export interface RejectedRecord {
  /** The record's position among all log records of the request, in wire order, counting from 0. */
  readonly index: number;
  /** What was wrong, naming the field (`attributes["k"]: …`, `trace_id: …`). */
  readonly reason: string;
}

/**
 * A decoded `ExportLogsServiceRequest`: the records that could be read, and the records that could not.
 *
 * Records of one `ResourceLogs` share one resource object (made with `createResource(attributes, schemaUrl)`), and
 * records of one `ScopeLogs` share one scope object, so that exporters regroup them exactly as they arrived.
 */
export interface DecodedLogs {
  records: PipelineRecord[];
  rejected: RejectedRecord[];
}

/**
 * The body is not an OTLP logs request at all (not protobuf, truncated framing, not JSON, `resourceLogs` not an
 * array, …). The message names what was wrong and where. A single broken record never throws this: it is
 * rejected on its own (see {@link DecodedLogs.rejected}).
 */
export class OtlpDecodeError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'OtlpDecodeError';
  }
}
