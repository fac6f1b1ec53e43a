/**
 * OTLP/HTTP export that tells the caller what the backend said. The OpenTelemetry JS exporters retry on their own
 * and then report a bare failure: the status code, the `Retry-After` hint and an OTLP partial success are lost, and a
 * sending queue cannot decide by them. So this exporter posts one `ExportLogsServiceRequest` per call with
 * `node:http`/`node:https` (our own encoder, the transformer's serializers), does not retry, and rejects with an
 * {@link ExportError} that says what happened:
 *
 * - 2xx: delivered; a partial success with `rejected_log_records` > 0 rejects with a permanent error carrying the
 *   count (the rest of the batch was accepted, so it is not sent again).
 * - 429, 502, 503, 504: retryable, with the server's `Retry-After` (seconds or an HTTP date) as `retryAfterMs`; the
 *   statuses the OTLP specification calls retryable.
 * - any other status: permanent (OTLP/HTTP: "all other 4xx or 5xx response status codes MUST NOT be retried").
 * - no answer (connection refused or reset, timeout): retryable.
 *
 * Endpoint, headers, timeout, compression and TLS files come from the options or, when an option is not given, from
 * the standard `OTEL_EXPORTER_OTLP_*` variables, resolved by `@opentelemetry/otlp-exporter-base`'s own configuration
 * code, so the environment means exactly what it means to the OpenTelemetry exporters.
 */
import type { Agent, IncomingMessage } from 'node:http';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';

import type { PipelineRecord } from '@egressguard/schema';
import { convertLegacyHttpOptions } from '@opentelemetry/otlp-exporter-base/node-http';
import { JsonLogsSerializer, ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';

import { encodeLogsJsonBytes, encodeLogsProto } from './encoder.ts';
import { ExportError } from './export-error.ts';
import type { RecordExporter } from './exporter.ts';

const gzipAsync = promisify(gzip);

/** Statuses the OTLP/HTTP specification calls retryable. */
const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);

/** Largest response body read, in bytes; OTLP responses are tiny, a larger one is cut (and its status still used). */
const MAX_RESPONSE_BYTES = 64 * 1024;

/** Options of {@link OtlpHttpExporter}. */
export interface OtlpHttpExporterOptions {
  /** `http/protobuf` (default) or `http/json`. */
  protocol?: 'http/protobuf' | 'http/json';
  /**
   * The logs URL, used as is. Default: `OTEL_EXPORTER_OTLP_LOGS_ENDPOINT`, else `OTEL_EXPORTER_OTLP_ENDPOINT` with
   * `/v1/logs` appended, else `http://localhost:4318/v1/logs`.
   */
  url?: string;
  /** Request headers; they win over `OTEL_EXPORTER_OTLP_LOGS_HEADERS` / `OTEL_EXPORTER_OTLP_HEADERS`, which are added. */
  headers?: Record<string, string>;
  /** Timeout of one request, in ms. Default: `OTEL_EXPORTER_OTLP_(LOGS_)TIMEOUT`, else 10000. */
  timeoutMs?: number;
  /** Request body compression. Default: `OTEL_EXPORTER_OTLP_(LOGS_)COMPRESSION`, else `none`. */
  compression?: 'gzip' | 'none';
}

interface Resolved {
  readonly url: URL;
  readonly headers: () => Promise<Record<string, string>>;
  readonly contentType: string;
  readonly timeoutMs: number;
  readonly compression: 'gzip' | 'none';
  readonly agent: Promise<Agent>;
}

/** An OTLP/HTTP logs exporter that does not retry and says why an export failed; see the module comment. */
export class OtlpHttpExporter implements RecordExporter {
  readonly #json: boolean;
  readonly #config: Resolved;
  readonly #inFlight = new Set<Promise<void>>();
  #shutdown: Promise<void> | undefined;

  constructor(options: OtlpHttpExporterOptions = {}) {
    const protocol = options.protocol ?? 'http/protobuf';
    if (protocol !== 'http/protobuf' && protocol !== 'http/json')
      throw new RangeError(
        `OtlpHttpExporter: protocol must be http/protobuf or http/json, got ${String(protocol)}`,
      );
    if (options.timeoutMs !== undefined && !(Number.isFinite(options.timeoutMs) && options.timeoutMs > 0))
      throw new RangeError(`OtlpHttpExporter: timeoutMs must be a number above 0, got ${options.timeoutMs}`);
    if (options.compression !== undefined && options.compression !== 'gzip' && options.compression !== 'none')
      throw new RangeError(
        `OtlpHttpExporter: compression must be gzip or none, got ${String(options.compression)}`,
      );
    this.#json = protocol === 'http/json';
    const contentType = this.#json ? 'application/json' : 'application/x-protobuf';
    // The SDK's own merge of code options, OTEL_EXPORTER_OTLP_* variables and the specification's defaults.
    const merged = convertLegacyHttpOptions(
      {
        ...(options.url !== undefined ? { url: options.url } : {}),
        ...(options.headers !== undefined ? { headers: options.headers } : {}),
        ...(options.timeoutMs !== undefined ? { timeoutMillis: options.timeoutMs } : {}),
        ...(options.compression !== undefined ? { compression: options.compression as never } : {}),
      },
      'LOGS',
      'v1/logs',
      { 'Content-Type': contentType },
    );
    let url: URL;
    try {
      url = new URL(merged.url);
    } catch {
      throw new RangeError(`OtlpHttpExporter: url must be a URL, got ${JSON.stringify(merged.url)}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new RangeError(`OtlpHttpExporter: url must be http or https, got ${url.protocol}`);
    const agent = Promise.resolve(merged.agentFactory(url.protocol)) as Promise<Agent>;
    // A failed agent factory (unreadable TLS file) shows at the first export; never as an unhandled rejection.
    agent.catch(() => undefined);
    this.#config = {
      url,
      headers: merged.headers,
      contentType,
      timeoutMs: merged.timeoutMillis,
      compression: merged.compression,
      agent,
    };
  }

  /** The URL requests go to. */
  get url(): string {
    return this.#config.url.toString();
  }

  /** Posts one request; resolves when the backend accepted every record, else rejects with an {@link ExportError}. */
  export(records: PipelineRecord[]): Promise<void> {
    if (this.#shutdown)
      return Promise.reject(new ExportError('permanent', 'OTLP/HTTP exporter is shut down'));
    if (records.length === 0) return Promise.resolve();
    const sent = this.#send(records);
    const tracked = sent.then(
      () => undefined,
      () => undefined,
    );
    this.#inFlight.add(tracked);
    void tracked.then(() => this.#inFlight.delete(tracked));
    return sent;
  }

  /** Resolves when every export started so far has finished. */
  async forceFlush(): Promise<void> {
    await Promise.all([...this.#inFlight]);
  }

  /** Waits for exports in flight, then refuses new ones and releases the connection pool. Idempotent. */
  shutdown(): Promise<void> {
    this.#shutdown ??= (async () => {
      await this.forceFlush();
      try {
        (await this.#config.agent).destroy();
      } catch {
        // An agent that could not be made holds nothing to release.
      }
    })();
    return this.#shutdown;
  }

  async #send(records: PipelineRecord[]): Promise<void> {
    const { url, timeoutMs, compression } = this.#config;
    const encoded = this.#json ? encodeLogsJsonBytes(records) : encodeLogsProto(records);
    const body = compression === 'gzip' ? await gzipAsync(encoded) : encoded;
    const headers: Record<string, string> = {
      ...(await this.#config.headers()),
      'Content-Type': this.#config.contentType,
      'Content-Length': String(body.length),
    };
    if (compression === 'gzip') headers['Content-Encoding'] = 'gzip';
    let agent: Agent;
    try {
      agent = await this.#config.agent;
    } catch (cause) {
      throw new ExportError('permanent', `OTLP/HTTP exporter for ${url.href} cannot be set up`, { cause });
    }
    const { status, retryAfter, response } = await post(url, agent, headers, body, timeoutMs);
    if (status >= 200 && status < 300) {
      const rejected = this.#rejectedRecords(response);
      if (rejected && rejected.count > 0) {
        throw new ExportError(
          'permanent',
          `${url.href} accepted the batch partially: ${rejected.count} of ${records.length} records rejected${rejected.message ? `: ${rejected.message}` : ''}`,
          { rejectedRecords: Math.min(rejected.count, records.length) },
        );
      }
      return;
    }
    const retryAfterMs = parseRetryAfter(retryAfter, Date.now());
    const detail = response.length > 0 ? `: ${statusDetail(response)}` : '';
    throw new ExportError(
      RETRYABLE_STATUS.has(status) ? 'retryable' : 'permanent',
      `${url.href} answered HTTP ${status}${detail}`,
      retryAfterMs === undefined ? {} : { retryAfterMs },
    );
  }

  #rejectedRecords(body: Buffer): { count: number; message: string | undefined } | undefined {
    if (body.length === 0) return undefined;
    try {
      const response = this.#json
        ? JsonLogsSerializer.deserializeResponse(body)
        : ProtobufLogsSerializer.deserializeResponse(body);
      const partial = response.partialSuccess;
      if (!partial) return undefined;
      // protobufjs may hand an int64 back as a Long-like object; Number() reads both.
      const count = Number(partial.rejectedLogRecords ?? 0);
      return { count: Number.isFinite(count) ? count : 0, message: partial.errorMessage || undefined };
    } catch {
      // A 2xx whose body is not an ExportLogsServiceResponse still means the records were accepted.
      return undefined;
    }
  }
}

/** The `Retry-After` header in ms from `now`: delay-seconds or an HTTP date; `undefined` when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** A short, printable excerpt of an error response body (often a `google.rpc.Status` or plain text). */
function statusDetail(body: Buffer): string {
  const text = body.subarray(0, 200).toString('utf8');
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\ufffd]+/g, ' ').trim();
}

interface PostResult {
  status: number;
  retryAfter: string | undefined;
  response: Buffer;
}

function post(
  url: URL,
  agent: Agent,
  headers: Record<string, string>,
  body: Uint8Array,
  timeoutMs: number,
): Promise<PostResult> {
  return new Promise<PostResult>((resolve, reject) => {
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    let settled = false;
    const fail = (message: string, cause?: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(new ExportError('retryable', message, cause === undefined ? {} : { cause }));
    };
    const req = request(url, { method: 'POST', headers, agent }, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        if (size >= MAX_RESPONSE_BYTES) return;
        chunks.push(chunk);
        size += chunk.length;
      });
      res.on('error', (error) => fail(`${url.href}: response broken off`, error));
      res.on('end', () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        const retryAfter: string | string[] | undefined = res.headers['retry-after'];
        resolve({
          status: res.statusCode ?? 0,
          retryAfter: typeof retryAfter === 'string' ? retryAfter : retryAfter?.[0],
          response: Buffer.concat(chunks),
        });
      });
    });
    const timer = setTimeout(() => {
      fail(`${url.href}: no answer within ${timeoutMs} ms`);
      req.destroy();
    }, timeoutMs);
    timer.unref();
    req.on('error', (error) => fail(`${url.href}: ${error.message}`, error));
    req.end(body);
  });
}
