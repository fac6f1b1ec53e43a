/**
 * Event names and attribute names of the egressguard record schema v1, grouped by record kind.
 *
 * OpenTelemetry semantic-convention names come first; `egressguard.*` names exist only where the conventions have
 * nothing. Every name here is documented (type, unit, writer, readers) in {@link ATTRIBUTE_DOCS}.
 */

/** Event names (`LogRecord.eventName`) of the records the chain reads and writes. */
export const EventName = {
  /** One outbound connection attempt or one HTTP exchange. */
  CONNECTION: 'egressguard.connection',
  /** A process start, used to build the process table. */
  PROCESS_EXEC: 'egressguard.process.exec',
  /** A process exit, used to age process-table entries. */
  PROCESS_EXIT: 'egressguard.process.exit',
  /** Per-process, per-window HTTP aggregates written by the http-flow-aggregator. */
  HTTP_FLOW: 'egressguard.http_flow',
  /** An alert written by the ratio-detector. */
  DETECTION: 'egressguard.detection',
  /** The blind-spot report: per host and source format, what the telemetry lacked. */
  COVERAGE: 'egressguard.coverage',
  /**
   * Input lines a reader or `normalize` could not read, counted per batch, host and source format (one record for
   * many lines); the coverage report folds them into its `egressguard.coverage.malformed` figure.
   */
  UNREADABLE_INPUT: 'egressguard.unreadable_input',
} as const;
export type EventNameValue = (typeof EventName)[keyof typeof EventName];

/** Resource attributes. */
export const ResourceAttr = {
  HOST_NAME: 'host.name',
  HOST_ID: 'host.id',
  HOST_TYPE: 'host.type',
  HOST_ROLE: 'egressguard.host.role',
} as const;

/** Process attributes, on connection and process records. */
export const ProcessAttr = {
  PID: 'process.pid',
  PARENT_PID: 'process.parent_pid',
  EXECUTABLE_PATH: 'process.executable.path',
  EXECUTABLE_NAME: 'process.executable.name',
  COMMAND_LINE: 'process.command_line',
  OWNER: 'process.owner',
  USER_ID: 'process.user.id',
  CREATION_TIME: 'process.creation.time',
  EXIT_TIME: 'process.exit.time',
  EXIT_CODE: 'process.exit.code',
  CONTAINER_ID: 'container.id',
  EXECUTABLE_SHA256: 'egressguard.process.executable.sha256',
  EXECUTABLE_DELETED: 'egressguard.process.executable.deleted',
  KERNEL_THREAD: 'egressguard.process.kernel_thread',
} as const;

/** Network attributes of a connection record. */
export const NetworkAttr = {
  TRANSPORT: 'network.transport',
  TYPE: 'network.type',
  SOURCE_ADDRESS: 'source.address',
  SOURCE_PORT: 'source.port',
  DESTINATION_ADDRESS: 'destination.address',
  DESTINATION_PORT: 'destination.port',
  SERVER_ADDRESS: 'server.address',
  PROTOCOL_NAME: 'network.protocol.name',
} as const;

/** Volume and outcome of a connection, from the process's side. Missing means unknown, never zero. */
export const ConnectionAttr = {
  BYTES_SENT: 'egressguard.connection.bytes_sent',
  BYTES_RECEIVED: 'egressguard.connection.bytes_received',
  DURATION_MS: 'egressguard.connection.duration_ms',
  OUTCOME: 'egressguard.connection.outcome',
} as const;

/** Values of {@link ConnectionAttr.OUTCOME}. */
export const Outcome = {
  COMPLETED: 'completed',
  FAILED: 'failed',
  OPEN: 'open',
  UNKNOWN: 'unknown',
} as const;
export type OutcomeValue = (typeof Outcome)[keyof typeof Outcome];

/** HTTP attributes, set only when a source really saw HTTP. */
export const HttpAttr = {
  REQUEST_METHOD: 'http.request.method',
  RESPONSE_STATUS_CODE: 'http.response.status_code',
  URL_FULL: 'url.full',
  REQUEST_BODY_SIZE: 'http.request.body.size',
  RESPONSE_BODY_SIZE: 'http.response.body.size',
  PROTOCOL_INFERRED: 'egressguard.protocol.inferred',
} as const;

/** Where a record came from and how its sensor counts bytes. */
export const ProvenanceAttr = {
  SOURCE_FORMAT: 'egressguard.source.format',
  SOURCE_ID: 'egressguard.source.id',
  BYTES_KIND: 'egressguard.bytes.kind',
} as const;

/** Values of {@link ProvenanceAttr.BYTES_KIND}. */
export const BytesKind = {
  /** Application payload bytes (Zeek's orig_bytes/resp_bytes, Tetragon's socket statistics). */
  PAYLOAD: 'payload',
  /** Bytes on the wire, headers included (Zeek's orig_ip_bytes, Auditbeat's flow bytes). */
  WIRE: 'wire',
  /** TCP bytes acknowledged by the peer / received in order (the kernel's tcp_sock counters, ss, tcplife). */
  ACKED: 'acked',
  /** As ACKED but reported in KiB by the sensor, so precise to 1024 bytes at best. */
  ACKED_KIB: 'acked_kib',
} as const;

/** How the process-attribution enricher found the process. */
export const AttributionAttr = {
  METHOD: 'egressguard.attribution.method',
  CONFIDENCE: 'egressguard.attribution.confidence',
  CANDIDATES: 'egressguard.attribution.candidates',
  REASON: 'egressguard.attribution.reason',
} as const;

/** Values of {@link AttributionAttr.METHOD}. */
export const AttributionMethod = {
  /** The sensor's own event carried the process (auditd, Tetragon, ss). */
  EVENT: 'event',
  /** Joined by 5-tuple and time to another sensor's connection record that carried a pid. */
  JOIN: 'join',
  /** Read from `/proc/<pid>` on the host itself. */
  PROCFS: 'procfs',
  /** Found through the socket inode (`/proc/net/tcp*` and `/proc/<pid>/fd`). */
  SOCKET: 'socket',
  /** Nothing could attribute the connection; the reason says why. */
  NONE: 'none',
} as const;

/** Aggregates of an `egressguard.http_flow` record, one per key and window. */
export const FlowAttr = {
  KEY: 'egressguard.flow.key',
  WINDOW_START: 'egressguard.flow.window.start_unix_ms',
  WINDOW_END: 'egressguard.flow.window.end_unix_ms',
  REVISION: 'egressguard.flow.revision',
  OVERFLOW: 'egressguard.flow.overflow',
  CONNECTIONS: 'egressguard.flow.connections',
  COMPLETED: 'egressguard.flow.connections.completed',
  FAILED: 'egressguard.flow.connections.failed',
  OPEN: 'egressguard.flow.connections.open',
  UNKNOWN: 'egressguard.flow.connections.unknown',
  INFERRED: 'egressguard.flow.connections.inferred',
  HTTP_EXCHANGES: 'egressguard.flow.connections.http',
  WITHOUT_BYTES: 'egressguard.flow.connections.without_bytes',
  INTERNAL: 'egressguard.flow.connections.internal',
  EXTERNAL: 'egressguard.flow.connections.external',
  EXTERNAL_COMPLETED: 'egressguard.flow.external.completed',
  EXTERNAL_FAILED: 'egressguard.flow.external.failed',
  EXTERNAL_WITH_BYTES: 'egressguard.flow.external.with_bytes',
  EXTERNAL_BYTES_SENT: 'egressguard.flow.external.bytes_sent',
  EXTERNAL_BYTES_RECEIVED: 'egressguard.flow.external.bytes_received',
  BYTES_SENT: 'egressguard.flow.bytes_sent',
  BYTES_RECEIVED: 'egressguard.flow.bytes_received',
  BYTES_SENT_MEDIAN: 'egressguard.flow.bytes_sent.median',
  BYTES_SENT_P90: 'egressguard.flow.bytes_sent.p90',
  BYTES_RECEIVED_MEDIAN: 'egressguard.flow.bytes_received.median',
  BYTES_RECEIVED_P90: 'egressguard.flow.bytes_received.p90',
  BYTES_KIND: 'egressguard.flow.bytes.kind',
  RATIO_RECEIVED_SENT: 'egressguard.flow.ratio.received_to_sent',
  DESTINATIONS: 'egressguard.flow.destinations',
  DESTINATIONS_ESTIMATED: 'egressguard.flow.destinations.estimated',
  FIRST_SEEN: 'egressguard.flow.first_seen_unix_ms',
  LAST_SEEN: 'egressguard.flow.last_seen_unix_ms',
  INTERVAL_MEAN_MS: 'egressguard.flow.interval.mean_ms',
  INTERVAL_CV: 'egressguard.flow.interval.cv',
  /** An interim update of a window still open: its aggregates so far (the window's final record has none). */
  INTERIM: 'egressguard.flow.interim',
  /** Of an interim update: event time of the connection that made it. */
  INTERIM_TRIGGER: 'egressguard.flow.interim.trigger_unix_ms',
} as const;

/** What the novelty filter decided about the record's process identity. */
export const NoveltyAttr = {
  STATUS: 'egressguard.novelty.status',
  IDENTITY: 'egressguard.novelty.identity',
  FIRST_SEEN: 'egressguard.novelty.first_seen_unix_ms',
  SEEN_COUNT: 'egressguard.novelty.seen_count',
  SEEN_DAYS: 'egressguard.novelty.seen_days',
  SEEN_INTERVALS: 'egressguard.novelty.seen_intervals',
  LEARNING: 'egressguard.novelty.learning',
  CUSTOM: 'egressguard.novelty.custom',
  CUSTOM_REASONS: 'egressguard.novelty.custom_reasons',
  ALLOWLIST_ENTRY: 'egressguard.novelty.allowlist_entry',
} as const;

/** Values of {@link NoveltyAttr.STATUS}. */
export const NoveltyStatus = {
  NEW: 'new',
  RARE: 'rare',
  KNOWN: 'known',
  ALLOWLISTED: 'allowlisted',
} as const;
export type NoveltyStatusValue = (typeof NoveltyStatus)[keyof typeof NoveltyStatus];

/** Attributes of an `egressguard.detection` record. */
export const DetectionAttr = {
  ID: 'egressguard.detection.id',
  ANALYTIC: 'egressguard.detection.analytic',
  STRATEGY: 'egressguard.detection.strategy',
  TECHNIQUE_ID: 'threat.technique.id',
  TECHNIQUE_NAME: 'threat.technique.name',
  RULE: 'egressguard.detection.rule',
  FINDING: 'egressguard.detection.finding',
  SCORE: 'egressguard.detection.score',
  REASON: 'egressguard.detection.reason',
  HOST_ROLE: 'egressguard.detection.host_role',
  WINDOW_START: 'egressguard.detection.window.start_unix_ms',
  WINDOW_END: 'egressguard.detection.window.end_unix_ms',
  SUPPRESSED_COUNT: 'egressguard.detection.suppressed_count',
  /** Prefix: `egressguard.detection.evidence.<name>` holds each number the rule used. */
  EVIDENCE_PREFIX: 'egressguard.detection.evidence.',
  /** Prefix: `egressguard.detection.threshold.<name>` holds each threshold the rule compared against. */
  THRESHOLD_PREFIX: 'egressguard.detection.threshold.',
  /** The names of the thresholds that fired, in the order the rule tested them. */
  FIRED: 'egressguard.detection.fired',
  /** 0 when the detection is first emitted, then 1, 2… for each revision of the same id (never a second alert). */
  REVISION: 'egressguard.detection.revision',
  /** The evidence is the closed window's (true), or the window's so far (false: fired while it was open). */
  FINAL: 'egressguard.detection.final',
} as const;

/** Attributes of an `egressguard.unreadable_input` record (host on the resource, `egressguard.source.format`). */
export const UnreadableInputAttr = {
  COUNT: 'egressguard.unreadable_input.count',
} as const;

/** Attributes of an `egressguard.coverage` record (the blind-spot report). */
export const CoverageAttr = {
  PERIOD_START: 'egressguard.coverage.period.start_unix_ms',
  PERIOD_END: 'egressguard.coverage.period.end_unix_ms',
  CONNECTIONS: 'egressguard.coverage.connections',
  WITH_PROCESS: 'egressguard.coverage.with_process',
  WITH_BYTES: 'egressguard.coverage.with_bytes',
  WITH_HTTP: 'egressguard.coverage.with_http',
  MALFORMED: 'egressguard.coverage.malformed',
  /** Milliseconds of the period during which the sensor was not running (a live receiver's sensor died). */
  SENSOR_DOWN_MS: 'egressguard.coverage.sensor_down_ms',
  /** Why the sensor was not running (`exited with code 1`, `killed by SIGKILL`, …). */
  SENSOR_DOWN_REASON: 'egressguard.coverage.sensor_down_reason',
} as const;
