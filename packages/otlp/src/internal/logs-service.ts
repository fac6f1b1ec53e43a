/**
 * The OTLP `LogsService` as a grpc-js service definition whose messages stay raw bytes: the receiver decodes them
 * with `decodeLogsProto` (so that a body that is not OTLP is answered INVALID_ARGUMENT by us, naming what is wrong,
 * instead of failing inside grpc-js), and the exporter sends what `encodeLogsProto` wrote. One codec, no second copy
 * of the proto.
 */
import type { ServiceDefinition } from '@grpc/grpc-js';

/** The method path, from `opentelemetry/proto/collector/logs/v1/logs_service.proto`. */
export const LOGS_EXPORT_PATH = '/opentelemetry.proto.collector.logs.v1.LogsService/Export';

const raw = (bytes: Buffer): Buffer => bytes;

/** `LogsService` with `Export(ExportLogsServiceRequest) returns (ExportLogsServiceResponse)` on raw bytes. */
export const LOGS_SERVICE = {
  Export: {
    path: LOGS_EXPORT_PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: raw,
    requestDeserialize: raw,
    responseSerialize: raw,
    responseDeserialize: raw,
    originalName: 'export',
  },
} satisfies ServiceDefinition;
