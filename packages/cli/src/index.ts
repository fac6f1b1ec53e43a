/**
 * `@egressguard/cli`: the `egressguard` command line, and the pieces it is made of for programs that embed the
 * OTLP stage or the replay: configuration loading, the default configuration, the service runtime and replay.
 */
export { main, mainHelp, COMMANDS } from './main.ts';
export { ExitCode, UsageError } from './commands/command.ts';
export type { Command, CommandIo } from './commands/command.ts';
export { createProcessorRegistry } from './processor-registry.ts';
export { loadConfigFile, parseConfigText } from './config/load-config.ts';
export type {
  ComponentConfig,
  ParseConfigOptions,
  PipelineConfig,
  ProcessorConfig,
  ResolvedConfig,
} from './config/load-config.ts';
export { defaultConfigYaml, otlpEndpointFromEnv, otlpProtocolFromEnv } from './config/default-config.ts';
export { substituteEnv } from './config/env-substitution.ts';
export type { MalformedReference, MissingVariable, Substitution } from './config/env-substitution.ts';
export {
  DEFAULT_OTLP_GRPC_ENDPOINT,
  DEFAULT_OTLP_HTTP_ENDPOINT,
  EXPORTER_TYPES,
  RECEIVER_TYPES,
  fileExporterConfig,
  otlpGrpcExporterConfig,
  otlpHttpExporterConfig,
  otlpReceiverConfig,
  serviceConfig,
  stdoutExporterConfig,
} from './config/components.ts';
export type {
  FileExporterConfig,
  OtlpGrpcExporterConfig,
  OtlpHttpExporterConfig,
  OtlpReceiverConfig,
  ServiceSection,
} from './config/components.ts';
export { Service } from './runtime/service.ts';
export type { BoundReceiver, ServiceOptions } from './runtime/service.ts';
export { OTLP_JSON_FORMAT, OTLP_JSON_MAX_LINE_BYTES, replay } from './runtime/replay.ts';
export type {
  CodecTimings,
  InputProblem,
  ReplayOptions,
  ReplayProgress,
  ReplayResult,
} from './runtime/replay.ts';
export {
  buildPipeline,
  checkConstruction,
  restorePipeline,
  savePipeline,
  stateFile,
} from './runtime/pipelines.ts';
export type { BuiltPipeline } from './runtime/pipelines.ts';
export {
  HOST_RECEIVER_TYPES,
  auditdReceiverConfig,
  createHostReceiver,
  ebpfReceiverConfig,
  isHostReceiverType,
  procfsReceiverConfig,
} from './host-receivers/index.ts';
export type {
  AuditdReceiverConfig,
  EbpfReceiverConfig,
  HostReceiver,
  HostReceiverContext,
  ProcfsReceiverConfig,
} from './host-receivers/index.ts';
export { WATCH_RECEIVERS, watchConfigYaml } from './config/watch-config.ts';
export type { WatchConfigOptions, WatchReceiver } from './config/watch-config.ts';
export { formatDetectionTable } from './internal/detection-table.ts';
export { coverageRows, formatCoverageRows } from './internal/coverage-table.ts';
export type { CoverageRow } from './internal/coverage-table.ts';
