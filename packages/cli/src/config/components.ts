/**
 * The schemas of the components the CLI itself provides: the `otlp` receiver (OTLP/HTTP and OTLP/gRPC) and the
 * `otlp` (gRPC), `otlphttp`, `stdout` and `file` exporters. Option names are the OpenTelemetry Collector's where the
 * Collector has the option (`endpoint`, `max_request_body_size`, `tls.cert_file`, `headers`, `encoding`,
 * `compression`, `timeout`, `path`, and the exporterhelper's `sending_queue` and `retry_on_failure`).
 */
import { defineConfig, type ConfigDefinition } from '@egressguard/core';
import { z } from 'zod';

import { HOST_RECEIVER_TYPES } from '../host-receivers/index.ts';

/** The default address of the OTLP/HTTP receiver: loopback only, the OTLP/HTTP port. */
export const DEFAULT_OTLP_HTTP_ENDPOINT = '127.0.0.1:4318';

/** The default address of the OTLP/gRPC receiver: loopback only, the OTLP/gRPC port. */
export const DEFAULT_OTLP_GRPC_ENDPOINT = '127.0.0.1:4317';

const HOST_PORT = /^(\[[0-9A-Fa-f:.]+\]|[^:\s[\]]+):(\d{1,5})$/;

/** Splits `host:port` (`[::1]:4318` for IPv6); `undefined` when malformed or the port is out of range. */
export function parseHostPort(value: string): { host: string; port: number } | undefined {
  const m = HOST_PORT.exec(value);
  if (!m) return undefined;
  const port = Number(m[2]);
  if (port > 65535) return undefined;
  const host = m[1].startsWith('[') ? m[1].slice(1, -1) : m[1];
  return { host, port };
}

const hostPort = z.string().refine((v) => parseHostPort(v) !== undefined, {
  message: 'must be host:port (for example 127.0.0.1:4318 or [::1]:4318) with a port from 0 to 65535',
});

const DURATION = /^(\d+)(ms|s|m|h)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds of a Collector-style duration (`500ms`, `10s`, `2m`, `1h`). */
export function durationMs(value: string): number {
  const m = DURATION.exec(value);
  if (!m) throw new Error(`not a duration: ${value}`);
  return Number(m[1]) * UNIT_MS[m[2]];
}

const duration = z.string().refine((v) => DURATION.test(v) && durationMs(v) > 0, {
  message: 'must be a duration above 0: an integer with unit ms, s, m or h (for example 10s)',
});

function bothDurations(r: { initial_interval: unknown; max_interval: unknown }): boolean {
  return (
    typeof r.initial_interval === 'string' &&
    typeof r.max_interval === 'string' &&
    DURATION.test(r.initial_interval) &&
    DURATION.test(r.max_interval)
  );
}

const durationOrZero = z.string().refine((v) => DURATION.test(v), {
  message: 'must be a duration: an integer with unit ms, s, m or h (for example 300s; 0s for none)',
});

const receiverAuth = z
  .strictObject({
    bearer_token: z
      .string()
      .min(1)
      .describe('Token clients must send as `Authorization: Bearer <token>`; use `${env:NAME}`.'),
  })
  .optional()
  .describe('Client authentication. Default: none (use only on loopback or behind TLS and a firewall).');

const receiverTls = z
  .strictObject({
    cert_file: z.string().min(1).describe('PEM certificate chain file.'),
    key_file: z.string().min(1).describe('PEM private key file.'),
  })
  .optional()
  .describe('Serve over TLS with this certificate. Default: plaintext.');

const maxInFlight = z
  .int()
  .positive()
  .default(64)
  .describe('Requests processed at once; more are refused as saturated (retry later). Default: 64.');

const httpProtocol = z.strictObject({
  endpoint: hostPort
    .default(DEFAULT_OTLP_HTTP_ENDPOINT)
    .describe(
      'Address to listen on, host:port. Port 0 picks a free port (the bound address is printed). Default: 127.0.0.1:4318 (loopback only).',
    ),
  max_request_body_size: z
    .int()
    .positive()
    .default(20 * 1024 * 1024)
    .describe(
      'Largest accepted request body, in bytes, after decompression; larger requests get 413. Default: 20971520 (20 MiB, as the Collector).',
    ),
  max_in_flight_requests: maxInFlight,
  auth: receiverAuth,
  tls: receiverTls,
});

const grpcProtocol = z.strictObject({
  endpoint: hostPort
    .default(DEFAULT_OTLP_GRPC_ENDPOINT)
    .describe(
      'Address to listen on, host:port. Port 0 picks a free port (the bound address is printed). Default: 127.0.0.1:4317 (loopback only).',
    ),
  max_recv_msg_size_mib: z
    .int()
    .positive()
    .default(20)
    .describe(
      'Largest accepted message, in MiB, after decompression; larger ones get RESOURCE_EXHAUSTED. Default: 20 (the HTTP limit).',
    ),
  max_in_flight_requests: maxInFlight,
  auth: receiverAuth,
  tls: receiverTls,
});

/** Configuration of the `otlp` receiver. */
export const otlpReceiverConfig = defineConfig(
  z.strictObject({
    protocols: z
      .strictObject({
        http: httpProtocol
          .optional()
          .describe(
            'OTLP/HTTP (protobuf and JSON, gzip) on `/v1/logs`. Default: served on 127.0.0.1:4318 when no protocol is listed.',
          ),
        grpc: grpcProtocol
          .optional()
          .describe(
            'OTLP/gRPC (`LogsService/Export`, gzip), what the Collector’s `otlp` and `load_balancing` exporters send. Default: not served.',
          ),
      })
      .prefault({})
      // As in the Collector, only the listed protocols are served; with none listed, OTLP/HTTP on its defaults.
      .transform((p) => (p.http || p.grpc ? p : { ...p, http: httpProtocol.parse({}) }))
      .describe('Protocols to serve: `http`, `grpc` or both. Default: `http` alone.'),
  }),
);
/** Parsed configuration of the `otlp` receiver. */
export type OtlpReceiverConfig = ReturnType<typeof otlpReceiverConfig.parse>;

/** The default `sending_queue.queue_size_bytes` with file storage: 256 MiB on disk. */
export const DEFAULT_FILE_QUEUE_BYTES = 256 * 1024 * 1024;
/** The default `sending_queue.queue_size_bytes` in memory: 32 MiB of (estimated) OTLP protobuf. */
export const DEFAULT_MEMORY_QUEUE_BYTES = 32 * 1024 * 1024;

/** The `sending_queue` of an exporter; `storage` defaults to `defaultStorage`. */
function sendingQueue(defaultStorage: 'file' | 'memory') {
  return z
    .strictObject({
      storage: z
        .enum(['file', 'memory'])
        .default(defaultStorage)
        .describe(
          `\`file\`: the queue lives on disk under \`service.state.directory\` (\`queues/<exporter id>\`), survives restarts and crashes, and what a previous run left is sent first; \`memory\`: lost when the process ends. Default: ${defaultStorage}.`,
        ),
      queue_size_bytes: z
        .int()
        .positive()
        .optional()
        .describe(
          `Bytes the queue holds at most (the Collector's \`sizer: bytes\` with \`queue_size\`): on disk the entries' size, in memory their estimated OTLP protobuf size. When full the receiver answers 503 with Retry-After. Default: ${DEFAULT_FILE_QUEUE_BYTES} (256 MiB) with file storage, ${DEFAULT_MEMORY_QUEUE_BYTES} (32 MiB) in memory.`,
        ),
      batch: z
        .strictObject({
          flush_timeout: duration
            .default('1s')
            .describe('Longest a record waits for its batch to fill before it is sent. Default: 1s.'),
          max_records: z
            .int()
            .positive()
            .default(1000)
            .describe('Records per export request at most. Default: 1000.'),
        })
        .prefault({})
        .describe('How queued records are grouped into export requests.'),
    })
    .prefault({})
    .describe(
      `The exporter's queue (the Collector's exporterhelper \`sending_queue\`). Records leave it only once the backend acknowledged them. Default storage: ${defaultStorage}.`,
    );
}

const retryOnFailure = z
  .strictObject({
    enabled: z
      .boolean()
      .default(true)
      .describe(
        'Whether a retryable failure (no answer, HTTP 429/502/503/504) is tried again. Default: true.',
      ),
    initial_interval: duration.default('5s').describe('Wait after the first failure. Default: 5s.'),
    max_interval: duration.default('30s').describe('Upper bound of one wait. Default: 30s.'),
    max_elapsed_time: durationOrZero
      .default('300s')
      .describe(
        'Time spent on one batch from its first attempt; 0s retries for ever. Past it an in-memory batch is dropped (counted as failed, reported); a file-queue batch is reported as stalled and kept, retried every max_interval. Default: 300s.',
      ),
    multiplier: z.number().min(1).default(1.5).describe('Growth of the wait per attempt. Default: 1.5.'),
    randomization_factor: z
      .number()
      .min(0)
      .lt(1)
      .default(0.5)
      .describe('Spread of each wait, ± this fraction. Default: 0.5.'),
  })
  .prefault({})
  // A malformed duration is reported on its own key; the comparison only applies to two well-formed ones.
  .refine((r) => !bothDurations(r) || durationMs(r.max_interval) >= durationMs(r.initial_interval), {
    message: 'max_interval must not be shorter than initial_interval',
    path: ['max_interval'],
  })
  .describe(
    "Retries of a failed export (the Collector's exporterhelper `retry_on_failure`), exponential with jitter; a server's Retry-After lengthens the wait. Any other 4xx (and a partial success's rejected records) is not retried and counted as rejected.",
  );

/** Configuration of the `otlphttp` exporter. */
export const otlpHttpExporterConfig = defineConfig(
  z.strictObject({
    endpoint: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe(
        'Base URL of the OTLP/HTTP backend; `/v1/logs` is appended, as the Collector does. Default: OTEL_EXPORTER_OTLP_LOGS_ENDPOINT, else OTEL_EXPORTER_OTLP_ENDPOINT, else http://localhost:4318.',
      ),
    logs_endpoint: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe('Full URL for logs, used as is; wins over `endpoint`. Default: none.'),
    headers: z
      .record(z.string(), z.string())
      .optional()
      .describe(
        'Headers sent with every request, added to OTEL_EXPORTER_OTLP_LOGS_HEADERS / OTEL_EXPORTER_OTLP_HEADERS. Default: none.',
      ),
    encoding: z
      .enum(['proto', 'json'])
      .default('proto')
      .describe('Request encoding: `proto` (application/x-protobuf) or `json`. Default: proto.'),
    compression: z
      .enum(['gzip', 'none'])
      .optional()
      .describe('Request body compression. Default: OTEL_EXPORTER_OTLP_(LOGS_)COMPRESSION, else none.'),
    timeout: duration.default('10s').describe('Timeout of one export request. Default: 10s.'),
    sending_queue: sendingQueue('file'),
    retry_on_failure: retryOnFailure,
  }),
);
/** Parsed configuration of the `otlphttp` exporter. */
export type OtlpHttpExporterConfig = ReturnType<typeof otlpHttpExporterConfig.parse>;

/** Configuration of the `otlp` exporter (OTLP/gRPC). */
export const otlpGrpcExporterConfig = defineConfig(
  z.strictObject({
    endpoint: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Where to send: host:port (TLS unless `tls.insecure`), http://host:port (plaintext) or https://host:port. Default: OTEL_EXPORTER_OTLP_LOGS_ENDPOINT, else OTEL_EXPORTER_OTLP_ENDPOINT, else http://localhost:4317.',
      ),
    tls: z
      .strictObject({
        insecure: z.boolean().default(false).describe('Plaintext for a host:port endpoint. Default: false.'),
        ca_file: z
          .string()
          .min(1)
          .optional()
          .describe('PEM file of the CAs the server is checked against. Default: the system roots.'),
      })
      .optional()
      .describe('Transport security. Default: TLS for host:port endpoints, as the Collector.'),
    headers: z
      .record(z.string(), z.string())
      .optional()
      .describe(
        'Metadata sent with every call. Default: OTEL_EXPORTER_OTLP_LOGS_HEADERS / OTEL_EXPORTER_OTLP_HEADERS.',
      ),
    compression: z
      .enum(['gzip', 'none'])
      .default('gzip')
      .describe('Request compression. Default: gzip (as the Collector).'),
    timeout: duration.default('10s').describe('Deadline of one export call. Default: 10s.'),
    sending_queue: sendingQueue('file'),
    retry_on_failure: retryOnFailure,
  }),
);
/** Parsed configuration of the `otlp` exporter. */
export type OtlpGrpcExporterConfig = ReturnType<typeof otlpGrpcExporterConfig.parse>;

/** Configuration of the `stdout` exporter (OTLP JSON lines on standard output). */
export const stdoutExporterConfig = defineConfig(
  z.strictObject({
    sending_queue: sendingQueue('memory'),
    retry_on_failure: retryOnFailure,
  }),
);
/** Parsed configuration of the `stdout` exporter. */
export type StdoutExporterConfig = ReturnType<typeof stdoutExporterConfig.parse>;

/** Configuration of the `file` exporter. */
export const fileExporterConfig = defineConfig(
  z.strictObject({
    path: z
      .string()
      .min(1)
      .describe('File to append OTLP JSON lines to (one ExportLogsServiceRequest per line). Required.'),
    sending_queue: sendingQueue('memory'),
    retry_on_failure: retryOnFailure,
  }),
);
/** Parsed configuration of the `file` exporter. */
export type FileExporterConfig = ReturnType<typeof fileExporterConfig.parse>;

/** The queue and retry settings every exporter has. */
export type ExporterDeliveryConfig = Pick<OtlpHttpExporterConfig, 'sending_queue' | 'retry_on_failure'>;

/** The receiver types, by type name. */
export const RECEIVER_TYPES: Readonly<Record<string, ConfigDefinition<unknown>>> = {
  otlp: otlpReceiverConfig,
  ...HOST_RECEIVER_TYPES,
};

/** The exporter types, by type name. */
export const EXPORTER_TYPES: Readonly<Record<string, ConfigDefinition<unknown>>> = {
  otlp: otlpGrpcExporterConfig,
  otlphttp: otlpHttpExporterConfig,
  stdout: stdoutExporterConfig,
  file: fileExporterConfig,
};

/** The `service` section (pipelines are checked separately, against the defined components). */
export const serviceConfig = defineConfig(
  z.strictObject({
    pipelines: z
      .record(
        z.string(),
        z.strictObject({
          receivers: z.array(z.string()).default([]).describe('Receiver ids feeding the pipeline.'),
          processors: z.array(z.string()).default([]).describe('Processor ids, in chain order.'),
          exporters: z
            .array(z.string())
            .default([])
            .describe('Exporter ids receiving what leaves the chain.'),
        }),
      )
      .describe('Pipelines by id: `logs` or `logs/<name>`.'),
    state: z
      .strictObject({
        directory: z
          .string()
          .min(1)
          .default('.egressguard/state')
          .describe(
            'Directory of the checkpoint and the write-ahead log, relative to the working directory. Default: .egressguard/state.',
          ),
        checkpoint_interval_ms: z
          .int()
          .min(100)
          .max(3_600_000)
          .default(5_000)
          .describe(
            'How often `run` writes a checkpoint of every stage’s state (and cuts the write-ahead log it covers), besides at shutdown, in milliseconds: a restart replays at most this much of the log. Default: 5000.',
          ),
        write_ahead_log: z
          .strictObject({
            enabled: z
              .boolean()
              .default(true)
              .describe(
                'Whether a request is answered 200 only once its records are in the write-ahead log on disk. false answers once they are in the export queues: faster, but a crash loses what the last checkpoint does not cover. Default: true.',
              ),
            max_bytes: z
              .int()
              .min(1_048_576)
              .default(268_435_456)
              .describe(
                'Bytes the log may hold (entries not yet covered by a checkpoint); when full the receiver answers 503 with Retry-After. Default: 268435456 (256 MiB).',
              ),
            segment_bytes: z
              .int()
              .min(65_536)
              .default(16_777_216)
              .describe(
                'Size of one log segment file; whole segments are deleted once a checkpoint covers them. Default: 16777216 (16 MiB).',
              ),
          })
          .prefault({})
          .refine((w) => w.segment_bytes <= w.max_bytes, {
            message: 'segment_bytes must not exceed max_bytes',
            path: ['segment_bytes'],
          })
          .describe('The write-ahead log of accepted requests, under the state directory.'),
      })
      .prefault({})
      .describe(
        'Where state lives: the checkpoints of every stateful stage and the write-ahead log they are replayed from after a crash.',
      ),
  }),
);
/** Parsed `service` section. */
export type ServiceSection = ReturnType<typeof serviceConfig.parse>;
