/**
 * Record exporters: OTLP/HTTP ({@link OtlpHttpExporter}), and OTLP/JSON lines to a stream.
 */
import type { PipelineRecord } from '@egressguard/schema';

import { encodeLogsJsonLine } from './encoder.ts';
import { OtlpHttpExporter } from './otlp-http-exporter.ts';

/** Something records can be exported to. */
export interface RecordExporter {
  /**
   * Exports one batch; rejects when the batch was not delivered whole, preferably with an `ExportError`
   * saying whether it may be retried (any other error is taken as retryable).
   */
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
   * `/v1/logs` appended, as `OTEL_EXPORTER_OTLP_ENDPOINT` would. Default: `OTEL_EXPORTER_OTLP_LOGS_ENDPOINT` (as
   * is), else `OTEL_EXPORTER_OTLP_ENDPOINT` with `/v1/logs` appended, else `http://localhost:4318/v1/logs`.
   */
  endpoint?: string;
  /** Extra request headers, added to (and winning over) `OTEL_EXPORTER_OTLP_LOGS_HEADERS` / `OTEL_EXPORTER_OTLP_HEADERS`. */
  headers?: Record<string, string>;
  /** Timeout of one export request, in milliseconds. Default: `OTEL_EXPORTER_OTLP_(LOGS_)TIMEOUT`, else 10 s. */
  timeoutMs?: number;
  /** Request body compression. Default: `OTEL_EXPORTER_OTLP_(LOGS_)COMPRESSION`, else `none`. */
  compression?: 'gzip' | 'none';
}

/**
 * An OTLP/HTTP exporter of records ({@link OtlpHttpExporter}): one request per export, no retries of its own. A
 * failed export rejects with an `ExportError` saying whether it may be retried, the server's `Retry-After`,
 * and a partial success's rejected records; put a `SendingQueue` in front of it for retries and buffering.
 */
export function createOtlpExporter(options: OtlpExporterOptions = {}): RecordExporter {
  const protocol = options.protocol ?? 'http/protobuf';
  if (protocol !== 'http/protobuf' && protocol !== 'http/json') {
    throw new RangeError(
      `createOtlpExporter: protocol must be http/protobuf or http/json, got ${String(protocol)}`,
    );
  }
  return new OtlpHttpExporter({
    protocol,
    ...(options.endpoint !== undefined ? { url: logsUrl(options.endpoint) } : {}),
    ...(options.headers !== undefined ? { headers: options.headers } : {}),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.compression !== undefined ? { compression: options.compression } : {}),
  });
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
    const line = encodeLogsJsonLine(records);
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

  #write(line: Uint8Array): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#out.write(line, (error?: Error | null) => {
        if (error) reject(error);
        else resolve();
      });
    });
  }
}
