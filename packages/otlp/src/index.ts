/**
 * `@egressguard/otlp`: OTLP logs in and out of the egressguard chain, over HTTP and gRPC: the protobuf and JSON
 * codec (straight into and out of `PipelineRecord`s), the receivers, OTLP/HTTP and OTLP/gRPC export, and the sending
 * queue (in memory or on disk) with retries.
 */
export { OtlpDecodeError } from './decoded-logs.ts';
export type { DecodedLogs, RejectedRecord } from './decoded-logs.ts';
export { decodeLogsProto, MAX_VALUE_DEPTH } from './proto-decoder.ts';
export { decodeLogsJson } from './json-decoder.ts';
export { encodeLogsJson, encodeLogsJsonBytes, encodeLogsJsonLine, encodeLogsProto } from './encoder.ts';
export { OtlpHttpReceiver, SaturatedError } from './receiver.ts';
export type { OtlpHttpReceiverOptions } from './receiver.ts';
export { OtlpGrpcReceiver } from './grpc-receiver.ts';
export type { OtlpGrpcReceiverOptions } from './grpc-receiver.ts';
export { createOtlpExporter, JsonLinesExporter } from './exporter.ts';
export { createOtlpGrpcExporter } from './grpc-exporter.ts';
export type { OtlpGrpcExporterOptions } from './grpc-exporter.ts';
export type { OtlpExporterOptions, RecordExporter } from './exporter.ts';
export { ExportError, isRetryable } from './export-error.ts';
export type { ExportErrorOptions, ExportFailureKind } from './export-error.ts';
export { OtlpHttpExporter, parseRetryAfter } from './otlp-http-exporter.ts';
export type { OtlpHttpExporterOptions } from './otlp-http-exporter.ts';
export { SendingQueue, estimateRecordBytes } from './sending-queue.ts';
export type { SendingQueueCounters, SendingQueueOptions } from './sending-queue.ts';
export { Backoff, DEFAULT_RETRY } from './retry-policy.ts';
export type { RetryOptions } from './retry-policy.ts';
