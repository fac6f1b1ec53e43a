/**
 * An OTLP/HTTP logs receiver (`POST /v1/logs`, protobuf and JSON, gzip) on `node:http` or `node:https`.
 *
 * Status codes (OTLP/HTTP specification, "OTLP/HTTP Response"):
 * - 200 with `ExportLogsServiceResponse`; when some records were rejected, with `partial_success`
 *   {`rejected_log_records`, `error_message`} ("the server MUST … set rejected_log_records to the number of
 *   rejected records");
 * - 400 undecodable body (not OTLP, broken gzip), with a `google.rpc.Status` in the request's content type;
 * - 401 missing or wrong bearer token (when one is configured);
 * - 404 other paths; 405 other methods (with `Allow: POST`); 415 other content types or content encodings;
 * - 408 (and the connection closed) when a client takes longer than `requestTimeoutMs` to send its request;
 * - 413 body larger than `maxBodyBytes` after decompression;
 * - 503 (or 429) with `Retry-After` when saturated: more than `maxInFlightRequests` requests at once, or `onRecords`
 *   rejecting with {@link SaturatedError};
 * - 500 when `onRecords` fails otherwise.
 *
 * Why 503 by default: the specification lists 429, 502, 503 and 504 as the retryable codes, and says a server that is
 * overloaded "SHOULD respond with HTTP 429 Too Many Requests or HTTP 503 Service Unavailable". 429 tells one client
 * that *it* sends too much (a quota); our saturation is the server's own capacity, shared by all clients, which is
 * what 503 says. Both make OTLP exporters retry after `Retry-After`; `saturationStatus: 429` is there for
 * deployments that want it.
 */
import { readFileSync } from 'node:fs';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { PipelineRecord } from '@egressguard/schema';

import {
  checkCommonReceiverOptions,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_MAX_IN_FLIGHT,
} from './internal/receiver-options.ts';
import { OtlpDecodeError } from './decoded-logs.ts';
import { decodeLogsJson } from './json-decoder.ts';
import { decodeLogsProto } from './proto-decoder.ts';
import {
  BodyAbortedError,
  BodyEncodingError,
  BodyTooLargeError,
  bodyEncoding,
  readBody,
} from './internal/body-reader.ts';
import { BearerTokenCheck } from './internal/bearer-token.ts';
import { rejectionMessage } from './internal/partial-success.ts';
import {
  RpcCode,
  contentType,
  exportResponse,
  statusResponse,
  type OtlpEncoding,
} from './internal/responses.ts';

/**
 * Thrown (or rejected) by an `onRecords` callback that cannot take more now: the receiver answers 503 (or 429) with
 * `Retry-After: retryAfterSeconds`, and the OTLP client retries later.
 */
export class SaturatedError extends Error {
  /** Seconds the client should wait before retrying. */
  readonly retryAfterSeconds: number;

  constructor(message: string, retryAfterSeconds: number) {
    super(message);
    this.name = 'SaturatedError';
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** Options of {@link OtlpHttpReceiver}. */
export interface OtlpHttpReceiverOptions {
  /** Address to bind. Default `127.0.0.1` (loopback only; set `0.0.0.0` to receive from other hosts). */
  host?: string;
  /** Port to bind. Default 4318 (the OTLP/HTTP port); 0 picks a free port. */
  port?: number;
  /** Largest body accepted, in bytes after decompression. Default 64 MiB. Larger bodies get 413. */
  maxBodyBytes?: number;
  /**
   * Requests processed at once (body read, decoded, handed to `onRecords`); beyond it the receiver answers 503 (or
   * 429) with `Retry-After`. Default 8. Memory held by bodies is bounded by about twice
   * `maxInFlightRequests × maxBodyBytes`.
   */
  maxInFlightRequests?: number;
  /** When set, requests must carry `Authorization: Bearer <token>`; others get 401. Default: no check. */
  bearerToken?: string;
  /** Serve HTTPS with this PEM certificate and key. Default: plain HTTP. */
  tls?: { certFile: string; keyFile: string };
  /**
   * Longest time a client may take to send a whole request (headers and body), in milliseconds; a client that is
   * slower (a stalled upload, a Content-Length larger than what it sends) gets 408 and its request slot is freed.
   * Default 60,000.
   */
  requestTimeoutMs?: number;
  /** `Retry-After` seconds when more than `maxInFlightRequests` requests arrive at once. Default 1. */
  retryAfterSeconds?: number;
  /** The status for saturation: 503 (default, the server's capacity) or 429 (a per-client quota). */
  saturationStatus?: 503 | 429;
  /**
   * Receives the records of each request. Resolve when they are taken; reject with {@link SaturatedError} to make
   * the client retry later (503/429 + Retry-After); any other rejection answers 500.
   */
  onRecords: (records: PipelineRecord[]) => Promise<void>;
}

const DEFAULT_PORT = 4318;
const LOGS_PATH = '/v1/logs';
const STOP_GRACE_MS = 5000;
const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;
/** How often node:http checks requests against the timeout at most (its default is 30 s). */
const MAX_TIMEOUT_CHECK_INTERVAL_MS = 30_000;

/** Receives OTLP/HTTP logs and hands decoded records to `onRecords`. */
export class OtlpHttpReceiver {
  readonly #options: Required<Omit<OtlpHttpReceiverOptions, 'bearerToken' | 'tls'>> &
    Pick<OtlpHttpReceiverOptions, 'tls'>;
  readonly #token: BearerTokenCheck | undefined;
  readonly #counters = new Map<string, number>();
  readonly #sockets = new Set<Socket>();
  #server: Server | undefined;
  #inFlight = 0;

  constructor(options: OtlpHttpReceiverOptions) {
    const o = {
      host: options.host ?? '127.0.0.1',
      port: options.port ?? DEFAULT_PORT,
      maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
      maxInFlightRequests: options.maxInFlightRequests ?? DEFAULT_MAX_IN_FLIGHT,
      requestTimeoutMs: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      retryAfterSeconds: options.retryAfterSeconds ?? 1,
      saturationStatus: options.saturationStatus ?? 503,
      onRecords: options.onRecords,
      ...(options.tls ? { tls: options.tls } : {}),
    };
    checkCommonReceiverOptions('OtlpHttpReceiver', o);
    if (!Number.isInteger(o.requestTimeoutMs) || o.requestTimeoutMs < 1) {
      throw new RangeError(
        `OtlpHttpReceiver: requestTimeoutMs must be a positive integer, got ${o.requestTimeoutMs}`,
      );
    }
    if (o.saturationStatus !== 503 && o.saturationStatus !== 429)
      throw new RangeError(
        `OtlpHttpReceiver: saturationStatus must be 503 or 429, got ${String(o.saturationStatus)}`,
      );
    this.#options = o;
    this.#token =
      options.bearerToken === undefined
        ? undefined
        : new BearerTokenCheck(options.bearerToken, 'OtlpHttpReceiver');
  }

  /** Binds and starts serving; resolves with the bound address (the real port when `port` was 0). */
  async start(): Promise<{ host: string; port: number }> {
    if (this.#server) throw new Error('OtlpHttpReceiver: already started');
    const handler = (req: IncomingMessage, res: ServerResponse): void => {
      this.#handle(req, res).catch((error: unknown) => this.#internalError(res, error));
    };
    const tls = this.#options.tls;
    // A slow or endless upload must not hold a request slot forever. node:http checks the timeout periodically, so
    // the check interval follows the timeout; headers get no longer than the whole request.
    const timeout = this.#options.requestTimeoutMs;
    const timeouts = {
      requestTimeout: timeout,
      headersTimeout: timeout,
      connectionsCheckingInterval: Math.min(
        MAX_TIMEOUT_CHECK_INTERVAL_MS,
        Math.max(10, Math.floor(timeout / 4)),
      ),
    };
    const server: Server = tls
      ? createHttpsServer(
          { ...timeouts, cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) },
          handler,
        )
      : createHttpServer(timeouts, handler);
    server.on('connection', (socket: Socket) => {
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
    });
    // Malformed HTTP (bad request line, oversized headers): answer 400 when possible, never crash. A request that
    // took longer than requestTimeoutMs is not malformed: 408, as node:http's own handler would answer.
    const timedOutSockets = new WeakSet<Socket>();
    server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
      const timedOut = error.code === 'ERR_HTTP_REQUEST_TIMEOUT';
      // Closing a timed-out request mid-body makes the parser report the cut-off body too: that is not the client's.
      if (timedOutSockets.has(socket)) {
        socket.destroy();
        return;
      }
      if (timedOut) timedOutSockets.add(socket);
      this.#count(timedOut ? 'requests.timed_out' : 'requests.malformed_http');
      if (socket.writable && error.code !== 'ECONNRESET') {
        const status = timedOut ? '408 Request Timeout' : '400 Bad Request';
        socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      } else socket.destroy();
    });
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#options.port, this.#options.host, () => {
        server.removeListener('error', reject);
        resolve();
      });
    });
    const address = server.address() as AddressInfo;
    return { host: address.address, port: address.port };
  }

  /** Stops accepting, lets requests in progress finish (up to 5 s), then closes every connection. */
  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = undefined;
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        for (const socket of this.#sockets) socket.destroy();
      }, STOP_GRACE_MS);
      force.unref();
      server.close(() => {
        clearTimeout(force);
        resolve();
      });
      server.closeIdleConnections();
    });
  }

  /**
   * Counters: `requests`, `requests.malformed_http`, `requests.timed_out`, `requests.aborted`, `status.<code>` per
   * answer, `records.accepted`,
   * `records.rejected`, and `saturated.in_flight` / `saturated.downstream` for each saturation answer.
   */
  counters(): Record<string, number> {
    return Object.fromEntries(this.#counters);
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.#count('requests');
    const url = req.url ?? '';
    const query = url.indexOf('?');
    const path = query < 0 ? url : url.slice(0, query);
    const mediaType = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    const encoding: OtlpEncoding | undefined =
      mediaType === 'application/x-protobuf'
        ? 'proto'
        : mediaType === 'application/json'
          ? 'json'
          : undefined;
    const answerAs = encoding ?? 'json';

    if (path !== LOGS_PATH)
      return this.#status(
        req,
        res,
        answerAs,
        404,
        RpcCode.NOT_FOUND,
        `no OTLP logs endpoint at ${path}; use ${LOGS_PATH}`,
      );
    if (req.method !== 'POST') {
      return this.#status(
        req,
        res,
        answerAs,
        405,
        RpcCode.UNIMPLEMENTED,
        `method ${req.method ?? ''} is not allowed; use POST`,
        { Allow: 'POST' },
      );
    }
    if (this.#token && !this.#token.accepts(req.headers.authorization)) {
      return this.#status(req, res, answerAs, 401, RpcCode.UNAUTHENTICATED, 'missing or wrong bearer token', {
        'WWW-Authenticate': 'Bearer',
      });
    }
    if (!encoding) {
      return this.#status(
        req,
        res,
        answerAs,
        415,
        RpcCode.INVALID_ARGUMENT,
        `unsupported content type ${JSON.stringify(mediaType)}; use application/x-protobuf or application/json`,
      );
    }
    const compression = bodyEncoding(req.headers['content-encoding']);
    if (!compression) {
      return this.#status(
        req,
        res,
        encoding,
        415,
        RpcCode.INVALID_ARGUMENT,
        `unsupported content encoding ${JSON.stringify(req.headers['content-encoding'])}; use gzip or none`,
      );
    }
    const declared = Number(req.headers['content-length']);
    if (compression === 'identity' && declared > this.#options.maxBodyBytes) {
      return this.#status(
        req,
        res,
        encoding,
        413,
        RpcCode.RESOURCE_EXHAUSTED,
        `request body is larger than ${this.#options.maxBodyBytes} bytes`,
      );
    }
    if (this.#inFlight >= this.#options.maxInFlightRequests) {
      this.#count('saturated.in_flight');
      return this.#saturated(
        req,
        res,
        encoding,
        this.#options.retryAfterSeconds,
        `receiver is saturated: ${this.#inFlight} requests in progress`,
      );
    }

    this.#inFlight += 1;
    try {
      let body: Buffer;
      try {
        body = await readBody(req, compression, this.#options.maxBodyBytes);
      } catch (error) {
        if (error instanceof BodyTooLargeError)
          return this.#status(req, res, encoding, 413, RpcCode.RESOURCE_EXHAUSTED, error.message);
        if (error instanceof BodyEncodingError)
          return this.#status(req, res, encoding, 400, RpcCode.INVALID_ARGUMENT, error.message);
        if (error instanceof BodyAbortedError) {
          this.#count('requests.aborted');
          return;
        }
        throw error;
      }

      let decoded;
      try {
        decoded = encoding === 'proto' ? decodeLogsProto(body) : decodeLogsJson(body);
      } catch (error) {
        if (error instanceof OtlpDecodeError)
          return this.#status(req, res, encoding, 400, RpcCode.INVALID_ARGUMENT, error.message);
        throw error;
      }

      if (decoded.records.length > 0) {
        try {
          await this.#options.onRecords(decoded.records);
        } catch (error) {
          if (error instanceof SaturatedError) {
            this.#count('saturated.downstream');
            return this.#saturated(req, res, encoding, error.retryAfterSeconds, error.message);
          }
          return this.#status(
            req,
            res,
            encoding,
            500,
            RpcCode.INTERNAL,
            `records could not be processed: ${error instanceof Error ? error.message : String(error)}`,
          );
        }
      }
      this.#count('records.accepted', decoded.records.length);
      this.#count('records.rejected', decoded.rejected.length);
      const rejected = decoded.rejected;
      this.#send(res, encoding, 200, exportResponse(encoding, rejected.length, rejectionMessage(rejected)));
    } finally {
      this.#inFlight -= 1;
    }
  }

  #saturated(
    req: IncomingMessage,
    res: ServerResponse,
    encoding: OtlpEncoding,
    retryAfterSeconds: number,
    message: string,
  ): void {
    const status = this.#options.saturationStatus;
    const code = status === 429 ? RpcCode.RESOURCE_EXHAUSTED : RpcCode.UNAVAILABLE;
    // Retry-After takes whole seconds; at least 1 so that a client does not retry at once.
    const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
    this.#status(req, res, encoding, status, code, message, { 'Retry-After': String(seconds) });
  }

  #status(
    req: IncomingMessage,
    res: ServerResponse,
    encoding: OtlpEncoding,
    status: number,
    code: number,
    message: string,
    headers: Record<string, string> = {},
  ): void {
    // The body may be unread (early answers): drain it so that the client can read the answer.
    if (!req.readableEnded) req.resume();
    this.#send(res, encoding, status, statusResponse(encoding, code, message), headers);
  }

  #send(
    res: ServerResponse,
    encoding: OtlpEncoding,
    status: number,
    body: Buffer,
    headers: Record<string, string> = {},
  ): void {
    this.#count(`status.${status}`);
    if (res.headersSent || res.destroyed) return;
    res.writeHead(status, {
      'Content-Type': contentType(encoding),
      'Content-Length': String(body.length),
      ...headers,
    });
    res.end(body);
  }

  #internalError(res: ServerResponse, error: unknown): void {
    this.#count('errors.internal');
    try {
      this.#send(
        res,
        'json',
        500,
        statusResponse(
          'json',
          RpcCode.INTERNAL,
          `internal error: ${error instanceof Error ? error.message : String(error)}`,
        ),
      );
    } catch {
      res.destroy();
    }
  }

  #count(key: string, n = 1): void {
    if (n === 0) return;
    this.#counters.set(key, (this.#counters.get(key) ?? 0) + n);
  }
}
