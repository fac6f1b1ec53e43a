/**
 * `@egressguard/otlp`: OTLP logs (HTTP and gRPC) in and out of the egressguard chain: the protobuf and JSON codec (straight
 * into and out of `PipelineRecord`s), the receiver, and export through the OpenTelemetry OTLP exporters.
 */
export { OtlpDecodeError } from './decoded-logs.ts';
export type { DecodedLogs, RejectedRecord } from './decoded-logs.ts';
export { decodeLogsProto, MAX_VALUE_DEPTH } from './proto-decoder.ts';
export { decodeLogsJson } from './json-decoder.ts';
export { encodeLogsJson, encodeLogsProto } from './encoder.ts';
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
export { ExportQueue } from './export-queue.ts';
export type { ExportQueueCounters, ExportQueueOptions } from './export-queue.ts';
