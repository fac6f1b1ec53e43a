/**
 * Creates the configured exporters, each behind its own sending queue (`sending_queue`, `retry_on_failure`). A
 * queue with file storage lives in `<state directory>/queues/<exporter id>`.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import type { Writable } from 'node:stream';

import {
  JsonLinesExporter,
  SendingQueue,
  createOtlpExporter,
  createOtlpGrpcExporter,
  type RecordExporter,
} from '@egressguard/otlp';

import {
  DEFAULT_FILE_QUEUE_BYTES,
  DEFAULT_MEMORY_QUEUE_BYTES,
  durationMs,
  type ExporterDeliveryConfig,
  type FileExporterConfig,
  type OtlpGrpcExporterConfig,
  type OtlpHttpExporterConfig,
} from '../config/components.ts';
import type { ComponentConfig } from '../config/load-config.ts';

/** An exporter and its queue. */
export interface QueuedExporter {
  readonly id: string;
  readonly queue: SendingQueue;
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

/** The directory of an exporter's file queue under the state directory. */
export function queueDirectory(statePath: string, exporterId: string): string {
  // Ids are `type` or `type/name`; the slash becomes part of one directory name.
  return join(statePath, 'queues', exporterId.replace(/\//g, '~'));
}

/**
 * Creates one exporter with its queue; a file queue takes back what a previous run left. Throws naming the
 * exporter when its queue directory cannot be used.
 */
export async function createQueuedExporter(
  component: ComponentConfig,
  statePath: string,
  streams: ExporterStreams,
): Promise<QueuedExporter> {
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
  const delivery = component.config as ExporterDeliveryConfig;
  const q = delivery.sending_queue;
  const r = delivery.retry_on_failure;
  const storage = q.storage === 'file' ? queueDirectory(statePath, component.id) : undefined;
  let queue: SendingQueue;
  try {
    queue = await SendingQueue.open({
      exporter,
      name: `exporter ${component.id}`,
      maxBytes: q.queue_size_bytes ?? (storage ? DEFAULT_FILE_QUEUE_BYTES : DEFAULT_MEMORY_QUEUE_BYTES),
      maxBatchRecords: q.batch.max_records,
      flushIntervalMs: durationMs(q.batch.flush_timeout),
      ...(storage ? { storage: { directory: storage } } : {}),
      retry: {
        enabled: r.enabled,
        initialIntervalMs: durationMs(r.initial_interval),
        maxIntervalMs: durationMs(r.max_interval),
        maxElapsedTimeMs: durationMs(r.max_elapsed_time),
        multiplier: r.multiplier,
        randomizationFactor: r.randomization_factor,
      },
    });
  } catch (cause) {
    file?.end();
    await exporter.shutdown();
    throw new Error(
      `egressguard: exporters.${component.id}: sending queue${storage ? ` in ${storage}` : ''} cannot be opened`,
      { cause },
    );
  }
  return {
    id: component.id,
    close: () => (file ? new Promise<void>((resolve) => file.end(resolve)) : Promise.resolve()),
    queue,
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
        ...(config.compression ? { compression: config.compression } : {}),
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
