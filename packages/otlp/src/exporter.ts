/**
 * Record exporters: OTLP/HTTP through the OpenTelemetry OTLP exporters, and OTLP/JSON lines to a stream.
 */
import type { PipelineRecord } from '@egressguard/schema';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPLogExporter as OTLPJsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as OTLPProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import type { LogRecordExporter } from '@opentelemetry/sdk-logs';

import { encodeLogsJson } from './encoder.ts';
import { ExportError } from './export-error.ts';

/** Something records can be exported to. */
export interface RecordExporter {
  /** Exports one batch; rejects when the batch could not be delivered (after the exporter's own retries). */
  export(records: PipelineRecord[]): Promise<void>;
  /** Resolves when every export started so far has finished. */
  forceFlush(): Promise<void>;
  /** Flushes and releases the exporter; later exports reject. */
  shutdown(): Promise<void>;
}

/** Options of {@link createOtlpExporter}. */
export interface OtlpExporterOptions {
  /** `http/protobuf` (default) or `http/json`, as `OTEL_EXPORTER_OTLP_LOGS_PROTOCOL` names them. */
  protocol?: 'http/protobuf' | 'http/json';
  /**
   * The logs endpoint URL, e.g. `http://127.0.0.1:4318/v1/logs`. A URL with no path (`http://host:4318`) gets
   * `/v1/logs` appended, as `OTEL_EXPORTER_OTLP_ENDPOINT` would. Default: the exporter's own handling of
   * `OTEL_EXPORTER_OTLP_LOGS_ENDPOINT` / `OTEL_EXPORTER_OTLP_ENDPOINT`, else `http://localhost:4318/v1/logs`.
   */
  endpoint?: string;
  /** Extra request headers. Default: the exporter's own `OTEL_EXPORTER_OTLP_LOGS_HEADERS` / `OTEL_EXPORTER_OTLP_HEADERS`. */
  headers?: Record<string, string>;
  /** Timeout of one export including its retries, in milliseconds. Default: the exporter's (10 s, or `OTEL_EXPORTER_OTLP_TIMEOUT`). */
  timeoutMs?: number;
}

/**
 * An OTLP/HTTP exporter of records: `@opentelemetry/exporter-logs-otlp-proto` for `http/protobuf`,
 * `@opentelemetry/exporter-logs-otlp-http` for `http/json`. Records go to the exporter as they are (a
 * `PipelineRecord` is a `ReadableLogRecord`); retries with exponential backoff on 429/502/503/504 and `Retry-After`
 * are the exporter's own. The returned promise rejects with the exporter's error when the export failed.
 */
export function createOtlpExporter(options: OtlpExporterOptions = {}): RecordExporter {
  const protocol = options.protocol ?? 'http/protobuf';
  if (protocol !== 'http/protobuf' && protocol !== 'http/json') {
    throw new RangeError(
      `createOtlpExporter: protocol must be http/protobuf or http/json, got ${String(protocol)}`,
    );
  }
  const config = {
    ...(options.endpoint !== undefined ? { url: logsUrl(options.endpoint) } : {}),
    ...(options.headers !== undefined ? { headers: options.headers } : {}),
    ...(options.timeoutMs !== undefined ? { timeoutMillis: options.timeoutMs } : {}),
  };
  const exporter: LogRecordExporter =
    protocol === 'http/json' ? new OTLPJsonLogExporter(config) : new OTLPProtoLogExporter(config);
  return new SdkRecordExporter(exporter);
}

function logsUrl(endpoint: string): string {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new RangeError(`createOtlpExporter: endpoint must be a URL, got ${JSON.stringify(endpoint)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new RangeError(`createOtlpExporter: endpoint must be http or https, got ${url.protocol}`);
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/v1/logs';
  return url.toString();
}

/** Adapts an SDK `LogRecordExporter` (callback style) to {@link RecordExporter}. */
class SdkRecordExporter implements RecordExporter {
  readonly #exporter: LogRecordExporter;
  #shutdown: Promise<void> | undefined;

  constructor(exporter: LogRecordExporter) {
    this.#exporter = exporter;
  }

  export(records: PipelineRecord[]): Promise<void> {
    if (this.#shutdown) return Promise.reject(new ExportError('permanent', 'OTLP exporter is shut down'));
    if (records.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.#exporter.export(records, (result: ExportResult) => {
        if (result.code === ExportResultCode.SUCCESS) resolve();
        else reject(httpExportError(result.error));
      });
    });
  }

  forceFlush(): Promise<void> {
    return this.#exporter.forceFlush?.() ?? Promise.resolve();
  }

  shutdown(): Promise<void> {
    this.#shutdown ??= this.#exporter.shutdown();
    return this.#shutdown;
  }
}

/** HTTP statuses the OTLP/HTTP specification calls retryable. */
const RETRYABLE_HTTP = new Set([429, 502, 503, 504]);

/**
 * The {@link ExportError} of a failed OTLP/HTTP export. The SDK exporter gives up after its own retries and reports
 * the last HTTP status as `code` (none for a network error, which may be retried).
 */
function httpExportError(error: Error | undefined): ExportError {
  const code = (error as { code?: unknown } | undefined)?.code;
  const status = typeof code === 'number' ? code : undefined;
  const retryable = status === undefined || RETRYABLE_HTTP.has(status);
  const text = error?.message ?? 'OTLP export failed';
  return new ExportError(
    retryable ? 'retryable' : 'permanent',
    status === undefined ? text : `HTTP ${status}: ${text}`,
    error ? { cause: error } : {},
  );
}

/**
 * Writes each exported batch as one OTLP/JSON line (an `ExportLogsServiceRequest`), the format of the Collector's
 * file exporter, so that `egressguard replay` and the Collector's `otlpjsonfile` receiver read it back. Waits for the
 * stream when it signals backpressure. The stream is not closed on shutdown (it may be stdout).
 */
export class JsonLinesExporter implements RecordExporter {
  readonly #out: NodeJS.WritableStream;
  #pending: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(out: NodeJS.WritableStream) {
    this.#out = out;
  }

  export(records: PipelineRecord[]): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('JSON lines exporter is shut down'));
    if (records.length === 0) return Promise.resolve();
    const line = `${encodeLogsJson(records)}\n`;
    const written = this.#pending.then(() => this.#write(line));
    // The chain goes on after a failed write; the failure is reported through this export's promise.
    this.#pending = written.catch(() => undefined);
    return written;
  }

  forceFlush(): Promise<void> {
    return this.#pending;
  }

  async shutdown(): Promise<void> {
    this.#closed = true;
    await this.#pending;
  }

  #write(line: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#out.write(line, (error?: Error | null) => {
        if (error) reject(error);
        else resolve();
      });
    });
  }
}
