/**
 * The default configuration: what `egressguard run` and `replay` use without `--config`, and what
 * `egressguard validate --print-default` prints for users to start from. The whole chain on every processor's
 * embedded defaults, state on local disk, OTLP/HTTP in on loopback, and out to stdout unless an OTLP endpoint is set
 * through the standard environment variables (then to that endpoint, over `OTEL_EXPORTER_OTLP_PROTOCOL`).
 */

/** Whether the standard OpenTelemetry variables name an OTLP endpoint for logs. */
export function otlpEndpointFromEnv(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const value = env.OTEL_EXPORTER_OTLP_LOGS_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT;
  return value ? value : undefined;
}

/**
 * The OTLP protocol the standard variables ask for (`OTEL_EXPORTER_OTLP_LOGS_PROTOCOL`, else
 * `OTEL_EXPORTER_OTLP_PROTOCOL`, else `http/protobuf`); throws naming the variable when it is not one of
 * `grpc`, `http/protobuf`, `http/json`.
 */
export function otlpProtocolFromEnv(
  env: Readonly<Record<string, string | undefined>>,
): 'grpc' | 'http/protobuf' | 'http/json' {
  const name = env.OTEL_EXPORTER_OTLP_LOGS_PROTOCOL
    ? 'OTEL_EXPORTER_OTLP_LOGS_PROTOCOL'
    : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const value = (env[name] ?? '').trim() || 'http/protobuf';
  if (value === 'grpc' || value === 'http/protobuf' || value === 'http/json') return value;
  throw new Error(`egressguard: ${name}=${value}: must be grpc, http/protobuf or http/json`);
}

/** The default chain's processor ids, in order. */
export const DEFAULT_CHAIN = [
  'normalize',
  'process_attribution',
  'coverage_report',
  'http_flow_aggregator',
  'novelty_filter',
  'ratio_detector',
] as const;

/** Options of {@link defaultProcessorsYaml}. */
export interface DefaultProcessorsOptions {
  /** Live input: close a host's windows on the wall clock after this much quiet (ms). Default: not set (event time only). */
  readonly idleFlushMs?: number;
}

/**
 * The `processors:` section of the default chain (the one `run`, `replay` and `watch` embed), one YAML line per
 * element: every processor on its embedded defaults, the aggregator's interim updates on so that the detector fires
 * at the connection that crosses its thresholds.
 */
export function defaultProcessorsYaml(options: DefaultProcessorsOptions = {}): string[] {
  return [
    'processors:',
    '  # Sensor output (auditd, Tetragon, Zeek, ss, …) to schema records; records already in the schema pass.',
    '  normalize:',
    '    format: auto',
    '    # Lines it cannot read are counted in records of their own, for the blind-spot report.',
    '    report_unreadable: true',
    '  # Who made each connection: the sensor event, a join with another sensor, or /proc. Live /proc lookups only',
    '  # touch records of this machine (host.name) no older than a minute: replayed captures are never looked up.',
    '  process_attribution:',
    '    procfs:',
    '      enabled: true',
    '  # The blind-spot report: per host and source, connections lacking a process, bytes or HTTP.',
    '  coverage_report: {}',
    '  # Per process and window: connection counts, bytes, outcomes.',
    '  # Interim updates of open windows let the detector fire at the connection that crosses its thresholds.',
    '  http_flow_aggregator:',
    ...(options.idleFlushMs === undefined
      ? []
      : [
          '    # Live: when the host has been quiet this long, its windows close on the wall clock.',
          `    idle_flush_ms: ${options.idleFlushMs}`,
        ]),
    '    interim:',
    '      enabled: true',
    "      # The ratio detector's rules need 10 connections (min_connections, min_failed_connections): an update of",
    '      # fewer could fire none. Lower both together.',
    '      min_connections: 10',
    '  # Have we seen this process identity before? Is it custom? (baseline kept in service.state.directory)',
    '  novelty_filter: {}',
    '  # Many connections, little back, new or custom process: a detection.',
    '  ratio_detector: {}',
  ];
}

/** The default configuration text for the given environment. */
export function defaultConfigYaml(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const endpoint = otlpEndpointFromEnv(env);
  const protocol = endpoint ? otlpProtocolFromEnv(env) : undefined;
  const exporterId = protocol === undefined ? 'stdout' : protocol === 'grpc' ? 'otlp' : 'otlphttp';
  const delivery = [
    '    # Delivery that outlives the backend: the queue is on disk under service.state.directory (queues/<id>)',
    '    # and a restart sends what it holds; when it is full the receiver answers 503 with Retry-After.',
    '    sending_queue:',
    '      storage: file',
    '      queue_size_bytes: 268435456',
    '    # Retries as the Collector’s exporterhelper; 4xx other than 429 are not retried (counted as rejected).',
    '    retry_on_failure:',
    '      initial_interval: 5s',
    '      max_interval: 30s',
    '      max_elapsed_time: 300s',
  ];
  const exporter =
    protocol === undefined
      ? [
          '  # No OTEL_EXPORTER_OTLP_(LOGS_)ENDPOINT: OTLP JSON lines on standard output (its queue is in memory).',
          '  stdout: {}',
        ]
      : protocol === 'grpc'
        ? [
            '  # OTEL_EXPORTER_OTLP_(LOGS_)ENDPOINT is set and OTEL_EXPORTER_OTLP_PROTOCOL is grpc: OTLP/gRPC there',
            '  # (endpoint, headers and OTEL_EXPORTER_OTLP_INSECURE come from the environment).',
            '  otlp:',
            ...delivery,
          ]
        : [
            '  # OTEL_EXPORTER_OTLP_(LOGS_)ENDPOINT is set: export there (endpoint and headers come from the environment).',
            '  otlphttp:',
            `    encoding: ${protocol === 'http/json' ? 'json' : 'proto'}`,
            ...delivery,
          ];
  return [
    '# egressguard default configuration (`egressguard validate --print-default`).',
    '# The Collector shape: components by id (`type` or `type/name`), chained by service.pipelines.',
    'receivers:',
    '  otlp:',
    '    protocols:',
    '      http:',
    '        endpoint: 127.0.0.1:4318',
    '',
    ...defaultProcessorsYaml(),
    '',
    'exporters:',
    ...exporter,
    '',
    'service:',
    '  state:',
    '    # Relative to the working directory.',
    '    directory: .egressguard/state',
    '  pipelines:',
    '    logs:',
    '      receivers: [otlp]',
    `      processors: [${DEFAULT_CHAIN.join(', ')}]`,
    `      exporters: [${exporterId}]`,
    '',
  ].join('\n');
}
