/**
 * `@egressguard/core`: the processor contract, the pipeline, the registry, schema-first configuration, the error
 * handler, the event-time watermark, durable snapshots, the write-ahead log and checkpoints and the OpenTelemetry JS SDK adapter.
 */
export { BaseProcessor, ProcessorStats } from './processor.ts';
export type {
  Processor,
  ProcessorContext,
  ProcessorCounters,
  Mutable,
  ProcessorMetadata,
  ProcessorSnapshot,
  RecordBalance,
  Stability,
  StateSize,
} from './processor.ts';
export { contractMarkdown, contractNames, defineProcessor, defineState } from './define-processor.ts';
export type {
  ContractSide,
  DefinedContext,
  DefinedProcessorFactory,
  ProcessorDescription,
  ProcessorDefinition,
  StateDefinition,
  StateMigration,
} from './define-processor.ts';
export { attributesToState, recordFromState, recordStateSchema, recordToState } from './record-state.ts';
export type { RecordState } from './record-state.ts';
export { Pipeline } from './pipeline.ts';
export type { PipelineOptions, PipelineSnapshot, StageBalance, StageTiming } from './pipeline.ts';
export { ProcessorRegistry, componentType } from './registry.ts';
export type { ProcessorFactory } from './registry.ts';
export { defineConfig, configRows, configTable } from './config.ts';
export type { ConfigDefinition, ConfigRow } from './config.ts';
export { ConfigError, getErrorHandler, reportError, setErrorHandler, stderrErrorHandler } from './errors.ts';
export type { ErrorHandler, ReportedError } from './errors.ts';
export { EventTimeWatermark } from './watermark.ts';
export type { Lateness, WatermarkOptions } from './watermark.ts';
export { FileStateStore } from './state-store.ts';
export { isGzipFile, openInputFile } from './input-file.ts';
export { boundedLines } from './bounded-lines.ts';
export type { BoundedLine } from './bounded-lines.ts';
export { declineInterims, learningEndOf, noteInterimSource, noteLearningEnd } from './interim-feedback.ts';
export type { InterimSource } from './interim-feedback.ts';
export type { InputFile } from './input-file.ts';
export { WriteAheadLog } from './write-ahead-log.ts';
export type {
  LogEntry,
  PendingAppend,
  WriteAheadLogCounters,
  WriteAheadLogOptions,
} from './write-ahead-log.ts';
export { entryBound } from './cache-bound.ts';
export { CheckpointStore } from './checkpoint.ts';
export type { Checkpoint } from './checkpoint.ts';
export { ChainLogRecordProcessor, fromSdkRecord } from './sdk-adapter.ts';
export type { ChainIntakeBalance, ChainLogRecordProcessorOptions } from './sdk-adapter.ts';
