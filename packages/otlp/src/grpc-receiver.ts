/**
 * An OTLP/gRPC logs receiver (`opentelemetry.proto.collector.logs.v1.LogsService/Export`, what the Collector's
 * `otlp` and `loadbalancing` exporters send) on `@grpc/grpc-js`, beside {@link OtlpHttpReceiver} and with the same
 * acceptance path: the same decoder, the same `onRecords` callback (so whatever `onRecords` guarantees before it
 * resolves, such as a write-ahead log, holds for gRPC too), the same bearer-token check, body limit, gzip and TLS.
 *
 * Status codes (OTLP specification, "OTLP/gRPC Response" and "Failures"):
 * - OK with `ExportLogsServiceResponse`; when some records were rejected, with `partial_success`;
 * - INVALID_ARGUMENT when the message is not an OTLP logs request (not retryable);
 * - UNAUTHENTICATED for a missing or wrong bearer token (when one is configured);
 * - RESOURCE_EXHAUSTED, without RetryInfo (so not retryable), for a message larger than `maxBodyBytes` after
 *   decompression: grpc-js answers that itself, before the message reaches us;
 * - UNAVAILABLE with a `google.rpc.RetryInfo` detail when saturated: more than `maxInFlightRequests` calls at once,
 *   or `onRecords` rejecting with {@link SaturatedError}. The specification: "To signal backpressure when using gRPC
 *   transport, the server MUST return an error with code UNAVAILABLE and MAY supply additional details via status
 *   using RetryInfo";
 * - INTERNAL when `onRecords` fails otherwise.
 */
import { readFileSync } from 'node:fs';

import {
  Metadata,
  Server,
  ServerCredentials,
  status as GrpcStatus,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServiceError,
} from '@grpc/grpc-js';
import type { PipelineRecord } from '@egressguard/schema';

import {
  checkCommonReceiverOptions,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_MAX_IN_FLIGHT,
} from './internal/receiver-options.ts';
import { OtlpDecodeError } from './decoded-logs.ts';
import { decodeLogsProto } from './proto-decoder.ts';
import { SaturatedError } from './receiver.ts';
import { BearerTokenCheck } from './internal/bearer-token.ts';
import { LOGS_SERVICE } from './internal/logs-service.ts';
import { rejectionMessage } from './internal/partial-success.ts';
import { exportResponse } from './internal/responses.ts';
import { statusWithRetryInfo } from './internal/rpc-status.ts';

/** Options of {@link OtlpGrpcReceiver}. */
export interface OtlpGrpcReceiverOptions {
  /** Address to bind. Default `127.0.0.1` (loopback only; set `0.0.0.0` to receive from other hosts). */
  host?: string;
  /** Port to bind. Default 4317 (the OTLP/gRPC port); 0 picks a free port. */
  port?: number;
  /**
   * Largest message accepted, in bytes after decompression. Default 64 MiB. Larger messages get RESOURCE_EXHAUSTED.
   */
  maxBodyBytes?: number;
  /** Calls processed at once; beyond it the receiver answers UNAVAILABLE with RetryInfo. Default 8. */
  maxInFlightRequests?: number;
  /** When set, calls must carry `authorization: Bearer <token>` metadata; others get UNAUTHENTICATED. Default: none. */
  bearerToken?: string;
  /** Serve gRPC over TLS with this PEM certificate and key. Default: plaintext (h2c). */
  tls?: { certFile: string; keyFile: string };
  /** Retry delay put in RetryInfo when more than `maxInFlightRequests` calls arrive at once, in seconds. Default 1. */
  retryAfterSeconds?: number;
  /**
   * Receives the records of each call. Resolve when they are taken; reject with {@link SaturatedError} to make the
   * client retry later (UNAVAILABLE + RetryInfo); any other rejection answers INTERNAL.
   */
  onRecords: (records: PipelineRecord[]) => Promise<void>;
}

const DEFAULT_PORT = 4317;
const STOP_GRACE_MS = 5000;

/** gRPC status names by code, for the `status.<NAME>` counters. */
const STATUS_NAMES = new Map<number, string>(
  Object.entries(GrpcStatus)
    .filter((e): e is [string, number] => typeof e[1] === 'number')
    .map(([name, code]) => [code, name]),
);

/** Receives OTLP/gRPC logs and hands decoded records to `onRecords`. */
export class OtlpGrpcReceiver {
  readonly #options: Required<Omit<OtlpGrpcReceiverOptions, 'bearerToken' | 'tls'>> &
    Pick<OtlpGrpcReceiverOptions, 'tls'>;
  readonly #token: BearerTokenCheck | undefined;
  readonly #counters = new Map<string, number>();
  #server: Server | undefined;
  #inFlight = 0;

  constructor(options: OtlpGrpcReceiverOptions) {
    const o = {
      host: options.host ?? '127.0.0.1',
      port: options.port ?? DEFAULT_PORT,
      maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
      maxInFlightRequests: options.maxInFlightRequests ?? DEFAULT_MAX_IN_FLIGHT,
      retryAfterSeconds: options.retryAfterSeconds ?? 1,
      onRecords: options.onRecords,
      ...(options.tls ? { tls: options.tls } : {}),
    };
    checkCommonReceiverOptions('OtlpGrpcReceiver', o);
    this.#options = o;
    this.#token =
      options.bearerToken === undefined
        ? undefined
        : new BearerTokenCheck(options.bearerToken, 'OtlpGrpcReceiver');
  }

  /** Binds and starts serving; resolves with the bound address (the real port when `port` was 0). */
  async start(): Promise<{ host: string; port: number }> {
    if (this.#server) throw new Error('OtlpGrpcReceiver: already started');
    const server = new Server({
      'grpc.max_receive_message_length': this.#options.maxBodyBytes,
      // Answers are small; a client must not make us buffer more than the largest request.
      'grpc.max_send_message_length': this.#options.maxBodyBytes,
    });
    server.addService(LOGS_SERVICE, {
      Export: (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => {
        this.#export(call, callback).catch((error: unknown) => {
          this.#fail(callback, GrpcStatus.INTERNAL, `internal error: ${message(error)}`);
        });
      },
    });
    const tls = this.#options.tls;
    const credentials = tls
      ? ServerCredentials.createSsl(
          null,
          [{ cert_chain: readFileSync(tls.certFile), private_key: readFileSync(tls.keyFile) }],
          false,
        )
      : ServerCredentials.createInsecure();
    const host = this.#options.host.includes(':') ? `[${this.#options.host}]` : this.#options.host;
    this.#server = server;
    let port: number;
    try {
      port = await new Promise<number>((resolve, reject) => {
        server.bindAsync(`${host}:${this.#options.port}`, credentials, (error, bound) => {
          if (error) reject(error);
          else resolve(bound);
        });
      });
    } catch (error) {
      this.#server = undefined;
      server.forceShutdown();
      throw error;
    }
    return { host: this.#options.host, port };
  }

  /** Stops accepting, lets calls in progress finish (up to 5 s), then closes every connection. */
  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = undefined;
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, STOP_GRACE_MS);
      force.unref();
      server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
  }

  /**
   * Counters: `requests`, `status.<gRPC status name>` per answer (`status.OK`, `status.UNAVAILABLE`, …),
   * `records.accepted`, `records.rejected`, and `saturated.in_flight` / `saturated.downstream` for each saturation
   * answer.
   */
  counters(): Record<string, number> {
    return Object.fromEntries(this.#counters);
  }

  async #export(call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>): Promise<void> {
    this.#count('requests');
    if (this.#token) {
      const header = call.metadata.get('authorization')[0];
      if (!this.#token.accepts(typeof header === 'string' ? header : undefined))
        return this.#fail(callback, GrpcStatus.UNAUTHENTICATED, 'missing or wrong bearer token');
    }
    if (this.#inFlight >= this.#options.maxInFlightRequests) {
      this.#count('saturated.in_flight');
      return this.#saturated(
        callback,
        this.#options.retryAfterSeconds,
        `receiver is saturated: ${this.#inFlight} calls in progress`,
      );
    }
    this.#inFlight += 1;
    try {
      let decoded;
      try {
        decoded = decodeLogsProto(call.request);
      } catch (error) {
        if (error instanceof OtlpDecodeError)
          return this.#fail(callback, GrpcStatus.INVALID_ARGUMENT, error.message);
        throw error;
      }
      if (decoded.records.length > 0) {
        try {
          await this.#options.onRecords(decoded.records);
        } catch (error) {
          if (error instanceof SaturatedError) {
            this.#count('saturated.downstream');
            return this.#saturated(callback, error.retryAfterSeconds, error.message);
          }
          return this.#fail(
            callback,
            GrpcStatus.INTERNAL,
            `records could not be processed: ${message(error)}`,
          );
        }
      }
      this.#count('records.accepted', decoded.records.length);
      this.#count('records.rejected', decoded.rejected.length);
      this.#count('status.OK');
      callback(null, exportResponse('proto', decoded.rejected.length, rejectionMessage(decoded.rejected)));
    } finally {
      this.#inFlight -= 1;
    }
  }

  #saturated(callback: sendUnaryData<Buffer>, retryAfterSeconds: number, text: string): void {
    // At least a second, as the HTTP receiver's Retry-After, so that a client does not retry at once.
    const delayMs = Math.max(1, Math.ceil(retryAfterSeconds)) * 1000;
    const metadata = new Metadata();
    metadata.set('grpc-status-details-bin', statusWithRetryInfo(GrpcStatus.UNAVAILABLE, text, delayMs));
    this.#fail(callback, GrpcStatus.UNAVAILABLE, text, metadata);
  }

  #fail(callback: sendUnaryData<Buffer>, code: GrpcStatus, details: string, metadata?: Metadata): void {
    this.#count(`status.${STATUS_NAMES.get(code) ?? String(code)}`);
    const error: Partial<ServiceError> = { code, details, ...(metadata ? { metadata } : {}) };
    callback(error, null);
  }

  #count(key: string, n = 1): void {
    if (n === 0) return;
    this.#counters.set(key, (this.#counters.get(key) ?? 0) + n);
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
