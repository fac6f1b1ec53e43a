/**
 * An OTLP/gRPC exporter of records (what the Collector's `otlp` receiver takes), on `@grpc/grpc-js` with our own
 * protobuf encoder: the request is what {@link encodeLogsProto} writes, sent on `LogsService/Export`.
 *
 * One attempt per export: retrying belongs to the sending queue around every exporter, which decides by the
 * {@link ExportError} this exporter rejects with. Classification follows the OTLP specification ("OTLP/gRPC
 * Response", "Failures"): CANCELLED, DEADLINE_EXCEEDED, ABORTED, OUT_OF_RANGE, UNAVAILABLE and DATA_LOSS are
 * retryable; RESOURCE_EXHAUSTED is retryable only when the server sent RetryInfo ("the server signals that recovery
 * from resource exhaustion is possible"); every other code is permanent. The server's RetryInfo delay becomes
 * `retryAfterMs`. A partial success that rejected records resolves nothing away: it rejects with a permanent
 * `ExportError` carrying `rejectedRecords` (the others were accepted and must not be sent again).
 */
import { readFileSync } from 'node:fs';

import {
  Client,
  Metadata,
  credentials as grpcCredentials,
  status as GrpcStatus,
  type ServiceError,
} from '@grpc/grpc-js';
import type { PipelineRecord } from '@egressguard/schema';

import { encodeLogsProto } from './encoder.ts';
import { ExportError } from './export-error.ts';
import type { RecordExporter } from './exporter.ts';
import { LOGS_EXPORT_PATH } from './internal/logs-service.ts';
import { readPartialSuccess } from './internal/responses.ts';
import { retryDelayMs } from './internal/rpc-status.ts';

/** Options of {@link createOtlpGrpcExporter}. */
export interface OtlpGrpcExporterOptions {
  /**
   * Where to send: `http://host:port` (plaintext), `https://host:port` (TLS), or `host:port` (TLS unless `insecure`,
   * as the Collector's `otlp` exporter reads it). Default: `OTEL_EXPORTER_OTLP_LOGS_ENDPOINT`, else
   * `OTEL_EXPORTER_OTLP_ENDPOINT`, else `http://localhost:4317`.
   */
  endpoint?: string;
  /** For a `host:port` endpoint: plaintext instead of TLS. Default false (`OTEL_EXPORTER_OTLP_INSECURE=true` sets it). */
  insecure?: boolean;
  /** PEM file of the certificate authorities that TLS servers are checked against. Default: the system's roots. */
  caFile?: string;
  /** Metadata sent with every call. Default: `OTEL_EXPORTER_OTLP_LOGS_HEADERS` / `OTEL_EXPORTER_OTLP_HEADERS`. */
  headers?: Record<string, string>;
  /** Deadline of one export, in milliseconds. Default: `OTEL_EXPORTER_OTLP_TIMEOUT`, else 10,000. */
  timeoutMs?: number;
  /** Request compression: `gzip` (default, as the Collector's `otlp` exporter) or `none`. */
  compression?: 'gzip' | 'none';
  /** Environment read for the defaults. Default: `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
}

const DEFAULT_ENDPOINT = 'http://localhost:4317';
const DEFAULT_TIMEOUT_MS = 10_000;
/** grpc-js's `compressionAlgorithms.gzip`. */
const GZIP = 2;

const RETRYABLE = new Set<number>([
  GrpcStatus.CANCELLED,
  GrpcStatus.DEADLINE_EXCEEDED,
  GrpcStatus.ABORTED,
  GrpcStatus.OUT_OF_RANGE,
  GrpcStatus.UNAVAILABLE,
  GrpcStatus.DATA_LOSS,
]);

const raw = (bytes: Buffer): Buffer => bytes;

/** An OTLP/gRPC {@link RecordExporter}; construction validates the options and throws naming the bad one. */
export function createOtlpGrpcExporter(options: OtlpGrpcExporterOptions = {}): RecordExporter {
  const env = options.env ?? process.env;
  const endpoint =
    options.endpoint ??
    nonEmpty(env.OTEL_EXPORTER_OTLP_LOGS_ENDPOINT) ??
    nonEmpty(env.OTEL_EXPORTER_OTLP_ENDPOINT) ??
    DEFAULT_ENDPOINT;
  const insecure = options.insecure ?? env.OTEL_EXPORTER_OTLP_INSECURE?.trim().toLowerCase() === 'true';
  const target = parseEndpoint(endpoint, insecure);
  const timeoutMs = options.timeoutMs ?? envTimeout(env) ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1)
    throw new RangeError(`createOtlpGrpcExporter: timeoutMs must be a positive integer, got ${timeoutMs}`);
  const compression = options.compression ?? 'gzip';
  if (compression !== 'gzip' && compression !== 'none')
    throw new RangeError(
      `createOtlpGrpcExporter: compression must be gzip or none, got ${String(compression)}`,
    );
  const headers =
    options.headers ??
    parseHeaders(env.OTEL_EXPORTER_OTLP_LOGS_HEADERS ?? env.OTEL_EXPORTER_OTLP_HEADERS ?? '');
  const channelCredentials = target.tls
    ? grpcCredentials.createSsl(options.caFile ? readFileSync(options.caFile) : null)
    : grpcCredentials.createInsecure();
  const client = new Client(target.address, channelCredentials, {
    ...(compression === 'gzip' ? { 'grpc.default_compression_algorithm': GZIP } : {}),
  });
  return new GrpcRecordExporter(client, headers, timeoutMs, target.address);
}

class GrpcRecordExporter implements RecordExporter {
  readonly #client: Client;
  readonly #headers: Record<string, string>;
  readonly #timeoutMs: number;
  readonly #address: string;
  readonly #pending = new Set<Promise<void>>();
  #shutdown: Promise<void> | undefined;

  constructor(client: Client, headers: Record<string, string>, timeoutMs: number, address: string) {
    this.#client = client;
    this.#headers = headers;
    this.#timeoutMs = timeoutMs;
    this.#address = address;
  }

  export(records: PipelineRecord[]): Promise<void> {
    if (this.#shutdown)
      return Promise.reject(new ExportError('permanent', 'OTLP/gRPC exporter is shut down'));
    if (records.length === 0) return Promise.resolve();
    const body = Buffer.from(encodeLogsProto(records));
    const metadata = new Metadata();
    for (const [key, value] of Object.entries(this.#headers)) metadata.set(key.toLowerCase(), value);
    const call = new Promise<void>((resolve, reject) => {
      this.#client.makeUnaryRequest<Buffer, Buffer>(
        LOGS_EXPORT_PATH,
        raw,
        raw,
        body,
        metadata,
        { deadline: Date.now() + this.#timeoutMs },
        (error, response) => {
          if (error) {
            reject(classify(error, this.#address));
            return;
          }
          const partial = readPartialSuccess(response ?? Buffer.alloc(0));
          if (partial.rejected > 0) {
            reject(
              new ExportError(
                'permanent',
                `OTLP/gRPC ${this.#address}: the server rejected ${partial.rejected} of ${records.length} log records: ${partial.message}`,
                { rejectedRecords: partial.rejected },
              ),
            );
            return;
          }
          resolve();
        },
      );
    });
    const tracked = call.catch(() => undefined);
    this.#pending.add(tracked);
    void tracked.then(() => this.#pending.delete(tracked));
    return call;
  }

  async forceFlush(): Promise<void> {
    await Promise.all(this.#pending);
  }

  shutdown(): Promise<void> {
    this.#shutdown ??= this.forceFlush().then(() => this.#client.close());
    return this.#shutdown;
  }
}

/** The {@link ExportError} of a failed call. */
function classify(error: ServiceError, address: string): ExportError {
  const details = error.metadata?.get('grpc-status-details-bin')[0];
  const retryAfterMs = details instanceof Buffer ? retryDelayMs(details) : undefined;
  const retryable =
    RETRYABLE.has(error.code) || (error.code === GrpcStatus.RESOURCE_EXHAUSTED && retryAfterMs !== undefined);
  const name = GrpcStatus[error.code] ?? String(error.code);
  return new ExportError(
    retryable ? 'retryable' : 'permanent',
    `OTLP/gRPC ${address}: ${name}: ${error.details}`,
    { cause: error, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) },
  );
}

function parseEndpoint(endpoint: string, insecure: boolean): { address: string; tls: boolean } {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(endpoint);
  if (scheme) {
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      throw new RangeError(`createOtlpGrpcExporter: endpoint is not a URL: ${JSON.stringify(endpoint)}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new RangeError(
        `createOtlpGrpcExporter: endpoint must be http, https or host:port, got ${url.protocol}`,
      );
    const port = url.port || (url.protocol === 'https:' ? '443' : '80');
    return { address: `${url.hostname}:${port}`, tls: url.protocol === 'https:' };
  }
  if (!/^(\[[0-9A-Fa-f:.]+\]|[^:/\s[\]]+):\d{1,5}$/.test(endpoint))
    throw new RangeError(
      `createOtlpGrpcExporter: endpoint must be http://host:port, https://host:port or host:port, got ${JSON.stringify(endpoint)}`,
    );
  return { address: endpoint, tls: !insecure };
}

/** `OTEL_EXPORTER_OTLP_HEADERS`: `key=value` pairs separated by commas, URL-encoded (W3C Baggage form). */
function parseHeaders(value: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const pair of value.split(',')) {
    const at = pair.indexOf('=');
    if (at <= 0) continue;
    const key = decodeURIComponent(pair.slice(0, at).trim());
    if (key) headers[key] = decodeURIComponent(pair.slice(at + 1).trim());
  }
  return headers;
}

function envTimeout(env: Readonly<Record<string, string | undefined>>): number | undefined {
  const raw = nonEmpty(env.OTEL_EXPORTER_OTLP_LOGS_TIMEOUT) ?? nonEmpty(env.OTEL_EXPORTER_OTLP_TIMEOUT);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
