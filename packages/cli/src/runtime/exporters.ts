/**
 * Creates the configured exporters, each behind its own bounded export queue.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import type { Writable } from 'node:stream';

import {
  ExportQueue,
  JsonLinesExporter,
  createOtlpExporter,
  createOtlpGrpcExporter,
  type RecordExporter,
} from '@egressguard/otlp';

import {
  durationMs,
  type FileExporterConfig,
  type OtlpGrpcExporterConfig,
  type OtlpHttpExporterConfig,
} from '../config/components.ts';
import type { ComponentConfig, ResolvedConfig } from '../config/load-config.ts';

/** An exporter and its queue. */
export interface QueuedExporter {
  readonly id: string;
  readonly queue: ExportQueue;
  /** Releases what the exporter opened (the `file` exporter's stream), after the queue's shutdown. */
  close(): Promise<void>;
}

/** Where `stdout` exporters write (standard output unless a test says otherwise). */
export interface ExporterStreams {
  readonly stdout: Writable;
}

/** The URL an `otlphttp` exporter posts to, or `undefined` to let the standard environment variables decide. */
export function otlpHttpUrl(config: OtlpHttpExporterConfig): string | undefined {
  if (config.logs_endpoint) return config.logs_endpoint;
  // The Collector's otlphttp exporter appends the signal path to `endpoint`; so do we.
  if (config.endpoint) return `${config.endpoint.replace(/\/+$/, '')}/v1/logs`;
  return undefined;
}

/** Creates one exporter with its queue. */
export function createQueuedExporter(
  component: ComponentConfig,
  queue: ResolvedConfig['queue'],
  streams: ExporterStreams,
): QueuedExporter {
  let file: WriteStream | undefined;
  let exporter: RecordExporter;
  if (component.type === 'file') {
    file = createWriteStream((component.config as FileExporterConfig).path, { flags: 'a' });
    // An unwritable path surfaces as a failed export (counted and reported), not as an uncaught stream error.
    file.on('error', () => undefined);
    exporter = new JsonLinesExporter(file);
  } else {
    exporter = createExporter(component, streams);
  }
  return {
    id: component.id,
    close: () => (file ? new Promise<void>((resolve) => file.end(resolve)) : Promise.resolve()),
    queue: new ExportQueue({
      exporter,
      maxQueueRecords: queue.max_queue_records,
      maxBatchRecords: queue.max_batch_records,
      flushIntervalMs: queue.flush_interval_ms,
      name: `exporter ${component.id}`,
    }),
  };
}

function createExporter(component: ComponentConfig, streams: ExporterStreams): RecordExporter {
  switch (component.type) {
    case 'otlphttp': {
      const config = component.config as OtlpHttpExporterConfig;
      const endpoint = otlpHttpUrl(config);
      return createOtlpExporter({
        protocol: config.encoding === 'json' ? 'http/json' : 'http/protobuf',
        ...(endpoint ? { endpoint } : {}),
        ...(config.headers ? { headers: config.headers } : {}),
        timeoutMs: durationMs(config.timeout),
      });
    }
    case 'otlp': {
      const config = component.config as OtlpGrpcExporterConfig;
      return createOtlpGrpcExporter({
        ...(config.endpoint ? { endpoint: config.endpoint } : {}),
        ...(config.tls ? { insecure: config.tls.insecure } : {}),
        ...(config.tls?.ca_file ? { caFile: config.tls.ca_file } : {}),
        ...(config.headers ? { headers: config.headers } : {}),
        compression: config.compression,
        timeoutMs: durationMs(config.timeout),
      });
    }
    case 'stdout':
      return new JsonLinesExporter(streams.stdout);
    default:
      throw new Error(`egressguard: exporters.${component.id}: unknown exporter type ${component.type}`);
  }
}
