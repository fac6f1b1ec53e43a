/**
 * The schemas of the components the CLI itself provides: the `otlp` receiver and the `otlphttp`, `stdout` and
 * `file` exporters. Option names are the OpenTelemetry Collector's where the Collector has the option
 * (`endpoint`, `max_request_body_size`, `tls.cert_file`, `headers`, `encoding`, `timeout`, `path`).
 */
import { defineConfig, type ConfigDefinition } from '@egressguard/core';
import { z } from 'zod';

import { HOST_RECEIVER_TYPES } from '../host-receivers/index.ts';

/** The default address of the OTLP/HTTP receiver: loopback only, the OTLP/HTTP port. */
export const DEFAULT_OTLP_HTTP_ENDPOINT = '127.0.0.1:4318';

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
  max_in_flight_requests: z
    .int()
    .positive()
    .default(64)
    .describe('Requests processed at once; more get 503 with Retry-After. Default: 64.'),
  auth: z
    .strictObject({
      bearer_token: z
        .string()
        .min(1)
        .describe('Token clients must send as `Authorization: Bearer <token>`; use `${env:NAME}`.'),
    })
    .optional()
    .describe('Client authentication. Default: none (use only on loopback or behind TLS and a firewall).'),
  tls: z
    .strictObject({
      cert_file: z.string().min(1).describe('PEM certificate chain file.'),
      key_file: z.string().min(1).describe('PEM private key file.'),
    })
    .optional()
    .describe('Serve HTTPS with this certificate. Default: plain HTTP.'),
});

/** Configuration of the `otlp` receiver. */
export const otlpReceiverConfig = defineConfig(
  z.strictObject({
    protocols: z
      .strictObject({
        http: httpProtocol.prefault({}).describe('OTLP/HTTP (protobuf and JSON, gzip) on `/v1/logs`.'),
      })
      .prefault({})
      .describe('Protocols to serve; OTLP/HTTP only (gRPC is not served).'),
  }),
);
/** Parsed configuration of the `otlp` receiver. */
export type OtlpReceiverConfig = ReturnType<typeof otlpReceiverConfig.parse>;

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
        'Headers sent with every request. Default: OTEL_EXPORTER_OTLP_LOGS_HEADERS / OTEL_EXPORTER_OTLP_HEADERS.',
      ),
    encoding: z
      .enum(['proto', 'json'])
      .default('proto')
      .describe('Request encoding: `proto` (application/x-protobuf) or `json`. Default: proto.'),
    timeout: duration.default('10s').describe('Timeout of one export request. Default: 10s.'),
  }),
);
/** Parsed configuration of the `otlphttp` exporter. */
export type OtlpHttpExporterConfig = ReturnType<typeof otlpHttpExporterConfig.parse>;

/** Configuration of the `stdout` exporter (OTLP JSON lines on standard output). */
export const stdoutExporterConfig = defineConfig(z.strictObject({}));

/** Configuration of the `file` exporter. */
export const fileExporterConfig = defineConfig(
  z.strictObject({
    path: z
      .string()
      .min(1)
      .describe('File to append OTLP JSON lines to (one ExportLogsServiceRequest per line). Required.'),
  }),
);
/** Parsed configuration of the `file` exporter. */
export type FileExporterConfig = ReturnType<typeof fileExporterConfig.parse>;

/** The receiver types, by type name. */
export const RECEIVER_TYPES: Readonly<Record<string, ConfigDefinition<unknown>>> = {
  otlp: otlpReceiverConfig,
  ...HOST_RECEIVER_TYPES,
};

/** The exporter types, by type name. */
export const EXPORTER_TYPES: Readonly<Record<string, ConfigDefinition<unknown>>> = {
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
            'Directory of the pipelines’ state snapshots, relative to the working directory. Default: .egressguard/state.',
          ),
        snapshot_interval_ms: z
          .int()
          .positive()
          .default(60_000)
          .describe('How often `run` saves state besides at shutdown, in milliseconds. Default: 60000.'),
      })
      .prefault({})
      .describe(
        'Where the stateful stages’ snapshots live (restored at start, saved periodically and at shutdown).',
      ),
    queue: z
      .strictObject({
        max_queue_records: z
          .int()
          .positive()
          .default(100_000)
          .describe(
            'Records waiting for export per exporter; when full the receiver answers 503. Default: 100000.',
          ),
        max_batch_records: z
          .int()
          .positive()
          .default(1_000)
          .describe('Records per export request. Default: 1000.'),
        flush_interval_ms: z
          .int()
          .positive()
          .default(1_000)
          .describe('Longest wait before a partial batch is exported, in milliseconds. Default: 1000.'),
      })
      .prefault({})
      .describe('The bounded queue between the chain and each exporter.'),
  }),
);
/** Parsed `service` section. */
export type ServiceSection = ReturnType<typeof serviceConfig.parse>;
