/**
 * The documentation of every attribute name of the schema: its type, unit and meaning. Which stages write and read
 * it is each stage's own declaration (its definition's contract), not this table's.
 * This table is the single source for the typed accessors' return types, the validator's type checks and the
 * schema reference in the package README.
 */
import {
  AttributionAttr,
  ConnectionAttr,
  CoverageAttr,
  DetectionAttr,
  FlowAttr,
  HttpAttr,
  NetworkAttr,
  NoveltyAttr,
  ProcessAttr,
  ProvenanceAttr,
  ResourceAttr,
  UnreadableInputAttr,
} from './names.ts';

/** The value types the schema uses. `int` values may arrive as numbers, decimal strings or bigints. */
export type AttributeType = 'string' | 'int' | 'double' | 'boolean' | 'string[]';

/** Where an attribute lives. */
export type AttributePlace =
  'resource' | 'connection' | 'process' | 'http_flow' | 'detection' | 'coverage' | 'unreadable_input';

/** One documented attribute. */
export interface AttributeDoc {
  readonly name: string;
  readonly type: AttributeType;
  /** UCUM-style unit as in the semantic conventions: `By`, `ms`, `1`, or `''` for none. */
  readonly unit: string;
  readonly brief: string;
  readonly places: readonly AttributePlace[];
  /** True when the name comes from the OpenTelemetry semantic conventions. */
  readonly semconv: boolean;
}

const d = <const N extends string, const T extends AttributeType>(
  name: N,
  type: T,
  unit: string,
  brief: string,
  places: readonly AttributePlace[],
) =>
  ({
    name,
    type,
    unit,
    brief,
    places,
    semconv: !name.startsWith('egressguard.'),
  }) as const;

const CONN: readonly AttributePlace[] = ['connection'];
const PROC: readonly AttributePlace[] = ['connection', 'process', 'http_flow', 'detection'];
const FLOW: readonly AttributePlace[] = ['http_flow'];
const FLOW_DET: readonly AttributePlace[] = ['http_flow', 'detection'];
const DET: readonly AttributePlace[] = ['detection'];
const COV: readonly AttributePlace[] = ['coverage'];

/** Every attribute of the schema v1. */
export const ATTRIBUTE_DOCS = [
  d(ResourceAttr.HOST_NAME, 'string', '', 'Host the record is about; all state is kept per host.', [
    'resource',
  ]),
  d(ResourceAttr.HOST_ID, 'string', '', 'Unique host id (machine-id, cloud instance id) when known.', [
    'resource',
  ]),
  d(ResourceAttr.HOST_TYPE, 'string', '', 'Host type; the ratio detector may read a role from it.', [
    'resource',
  ]),
  d(
    ResourceAttr.HOST_ROLE,
    'string',
    '',
    'Asset role (server, workstation, build, gateway…) that selects detector thresholds.',
    ['resource'],
  ),

  d(ProcessAttr.PID, 'int', '1', 'Process id.', PROC),
  d(ProcessAttr.PARENT_PID, 'int', '1', 'Parent process id.', PROC),
  d(ProcessAttr.EXECUTABLE_PATH, 'string', '', 'Full path of the executable.', PROC),
  d(
    ProcessAttr.EXECUTABLE_NAME,
    'string',
    '',
    'Executable file name (comm when nothing better is known).',
    PROC,
  ),
  d(ProcessAttr.COMMAND_LINE, 'string', '', 'Full command line, arguments joined by spaces.', PROC),
  d(ProcessAttr.OWNER, 'string', '', 'User name of the process owner.', PROC),
  d(ProcessAttr.USER_ID, 'int', '1', 'Effective user id.', PROC),
  d(
    ProcessAttr.CREATION_TIME,
    'string',
    '',
    'Process start time, ISO 8601; with host and pid it identifies one process across pid reuse.',
    PROC,
  ),
  d(ProcessAttr.EXIT_TIME, 'string', '', 'Process exit time, ISO 8601 (process exit records).', ['process']),
  d(ProcessAttr.EXIT_CODE, 'int', '1', 'Process exit code (process exit records).', ['process']),
  d(ProcessAttr.CONTAINER_ID, 'string', '', 'Container id, from the sensor or the cgroup path.', PROC),
  d(ProcessAttr.EXECUTABLE_SHA256, 'string', '', 'SHA-256 of the executable file, lowercase hex.', PROC),
  d(
    ProcessAttr.EXECUTABLE_DELETED,
    'boolean',
    '',
    'The executable was deleted after the process started.',
    PROC,
  ),
  d(
    ProcessAttr.KERNEL_THREAD,
    'boolean',
    '',
    'The "process" is a kernel thread: there is no executable to attribute.',
    PROC,
  ),

  d(NetworkAttr.TRANSPORT, 'string', '', 'tcp or udp.', CONN),
  d(NetworkAttr.TYPE, 'string', '', 'ipv4 or ipv6.', CONN),
  d(NetworkAttr.SOURCE_ADDRESS, 'string', '', 'Local address of the connection.', CONN),
  d(NetworkAttr.SOURCE_PORT, 'int', '1', 'Local port of the connection (auditd does not know it).', CONN),
  d(NetworkAttr.DESTINATION_ADDRESS, 'string', '', 'Remote address of the connection.', CONN),
  d(NetworkAttr.DESTINATION_PORT, 'int', '1', 'Remote port of the connection.', CONN),
  d(NetworkAttr.SERVER_ADDRESS, 'string', '', 'Server name when known (HTTP Host, TLS SNI, DNS).', CONN),
  d(NetworkAttr.PROTOCOL_NAME, 'string', '', '`http` when the source saw HTTP or the port implies it.', CONN),

  d(
    ConnectionAttr.BYTES_SENT,
    'int',
    'By',
    'Bytes the process sent on this connection; missing means unknown, never zero.',
    CONN,
  ),
  d(
    ConnectionAttr.BYTES_RECEIVED,
    'int',
    'By',
    'Bytes the process received on this connection; missing means unknown, never zero.',
    CONN,
  ),
  d(ConnectionAttr.DURATION_MS, 'double', 'ms', 'Connection lifetime.', CONN),
  d(ConnectionAttr.OUTCOME, 'string', '', 'completed | failed | open | unknown.', CONN),

  d(HttpAttr.REQUEST_METHOD, 'string', '', 'HTTP method, when a source saw the request.', CONN),
  d(HttpAttr.RESPONSE_STATUS_CODE, 'int', '1', 'HTTP status code, when a source saw the response.', CONN),
  d(HttpAttr.URL_FULL, 'string', '', 'Absolute URL, when a source saw it.', CONN),
  d(HttpAttr.REQUEST_BODY_SIZE, 'int', 'By', 'HTTP request body size.', CONN),
  d(HttpAttr.RESPONSE_BODY_SIZE, 'int', 'By', 'HTTP response body size.', CONN),
  d(HttpAttr.PROTOCOL_INFERRED, 'boolean', '', 'True when only the port says the connection is HTTP.', CONN),

  d(
    ProvenanceAttr.SOURCE_FORMAT,
    'string',
    '',
    'The sensor format the record came from (auditd, zeek.conn, tetragon, ss, …).',
    ['connection', 'process', 'coverage', 'unreadable_input'],
  ),
  d(
    ProvenanceAttr.SOURCE_ID,
    'string',
    '',
    "The sensor's own id for the event (auditd serial, Zeek uid, Tetragon exec_id).",
    ['connection', 'process'],
  ),
  d(
    ProvenanceAttr.BYTES_KIND,
    'string',
    '',
    'How the sensor counts bytes: payload, wire, acked, acked_kib.',
    CONN,
  ),

  d(
    AttributionAttr.METHOD,
    'string',
    '',
    'How the process was found: event, join, procfs, socket, none.',
    PROC,
  ),
  d(AttributionAttr.CONFIDENCE, 'double', '1', 'Confidence of the attribution, 0 to 1.', PROC),
  d(
    AttributionAttr.CANDIDATES,
    'int',
    '1',
    'How many candidate processes a join found (more than 1 means ambiguous).',
    CONN,
  ),
  d(
    AttributionAttr.REASON,
    'string',
    '',
    'Why attribution failed or is uncertain (ambiguous, no_match, kernel_thread, no_executable, process_gone).',
    CONN,
  ),

  d(
    FlowAttr.KEY,
    'string',
    '',
    'The grouping key of the window (host and process identity by default).',
    FLOW_DET,
  ),
  d(FlowAttr.WINDOW_START, 'int', 'ms', 'Window start, Unix epoch milliseconds, inclusive.', FLOW),
  d(FlowAttr.WINDOW_END, 'int', 'ms', 'Window end, Unix epoch milliseconds, exclusive.', FLOW),
  d(
    FlowAttr.REVISION,
    'int',
    '1',
    '0 for the first emission of a window, then 1, 2… for corrections by late records.',
    FLOW,
  ),
  d(FlowAttr.OVERFLOW, 'boolean', '', 'The record aggregates keys that did not fit the key bound.', FLOW),
  d(FlowAttr.CONNECTIONS, 'int', '{connection}', 'HTTP connections in the window.', FLOW),
  d(FlowAttr.COMPLETED, 'int', '{connection}', 'Connections with outcome completed.', FLOW),
  d(FlowAttr.FAILED, 'int', '{connection}', 'Connections with outcome failed (refused, no reply).', FLOW),
  d(FlowAttr.OPEN, 'int', '{connection}', 'Connections still open when last seen.', FLOW),
  d(FlowAttr.UNKNOWN, 'int', '{connection}', 'Connections with no known outcome.', FLOW),
  d(
    FlowAttr.INFERRED,
    'int',
    '{connection}',
    'Connections counted as HTTP because of their port only.',
    FLOW,
  ),
  d(
    FlowAttr.HTTP_EXCHANGES,
    'int',
    '{connection}',
    'Connections with real HTTP fields from the sensor.',
    FLOW,
  ),
  d(FlowAttr.WITHOUT_BYTES, 'int', '{connection}', 'Connections whose sensor reported no byte counts.', FLOW),
  d(FlowAttr.INTERNAL, 'int', '{connection}', 'Connections to internal address ranges.', FLOW),
  d(FlowAttr.EXTERNAL, 'int', '{connection}', 'Connections to external addresses.', FLOW),
  d(FlowAttr.EXTERNAL_COMPLETED, 'int', '{connection}', 'External connections with outcome completed.', FLOW),
  d(FlowAttr.EXTERNAL_FAILED, 'int', '{connection}', 'External connections with outcome failed.', FLOW),
  d(
    FlowAttr.EXTERNAL_WITH_BYTES,
    'int',
    '{connection}',
    'External connections that carried byte counts.',
    FLOW,
  ),
  d(FlowAttr.EXTERNAL_BYTES_SENT, 'int', 'By', 'Bytes sent on external connections.', FLOW),
  d(FlowAttr.EXTERNAL_BYTES_RECEIVED, 'int', 'By', 'Bytes received on external connections.', FLOW),
  d(FlowAttr.BYTES_SENT, 'int', 'By', 'Sum of bytes sent over connections with byte counts.', FLOW),
  d(FlowAttr.BYTES_RECEIVED, 'int', 'By', 'Sum of bytes received over connections with byte counts.', FLOW),
  d(FlowAttr.BYTES_SENT_MEDIAN, 'double', 'By', 'Median bytes sent per connection.', FLOW),
  d(FlowAttr.BYTES_SENT_P90, 'double', 'By', '90th percentile of bytes sent per connection.', FLOW),
  d(FlowAttr.BYTES_RECEIVED_MEDIAN, 'double', 'By', 'Median bytes received per connection.', FLOW),
  d(FlowAttr.BYTES_RECEIVED_P90, 'double', 'By', '90th percentile of bytes received per connection.', FLOW),
  d(FlowAttr.BYTES_KIND, 'string', '', 'Byte kind of the counted connections, or `mixed`.', FLOW),
  d(
    FlowAttr.RATIO_RECEIVED_SENT,
    'double',
    '1',
    'Bytes received divided by bytes sent (absent when nothing was sent).',
    FLOW,
  ),
  d(FlowAttr.DESTINATIONS, 'int', '1', 'Distinct destinations (address and port).', FLOW),
  d(
    FlowAttr.DESTINATIONS_ESTIMATED,
    'boolean',
    '',
    'True when the distinct count passed its exact bound and is an estimate.',
    FLOW,
  ),
  d(FlowAttr.FIRST_SEEN, 'int', 'ms', 'Event time of the first connection in the window.', FLOW),
  d(FlowAttr.LAST_SEEN, 'int', 'ms', 'Event time of the last connection in the window.', FLOW),
  d(
    FlowAttr.INTERIM,
    'boolean',
    '',
    'An interim update of a window still open (its aggregates so far), for detections within seconds; absent on the window record itself.',
    FLOW,
  ),
  d(
    FlowAttr.INTERIM_TRIGGER,
    'int',
    'ms',
    'Of an interim update: event time of the connection that made it.',
    FLOW,
  ),
  d(FlowAttr.INTERVAL_MEAN_MS, 'double', 'ms', 'Mean interval between consecutive connection starts.', FLOW),
  d(
    FlowAttr.INTERVAL_CV,
    'double',
    '1',
    'Coefficient of variation of those intervals; near 0 means a regular beacon.',
    FLOW,
  ),

  d(NoveltyAttr.STATUS, 'string', '', 'new | rare | known | allowlisted.', FLOW_DET),
  d(
    NoveltyAttr.IDENTITY,
    'string',
    '',
    'The normalised process identity the baseline is keyed on.',
    FLOW_DET,
  ),
  d(
    NoveltyAttr.FIRST_SEEN,
    'int',
    'ms',
    'When the identity was first seen, Unix epoch milliseconds.',
    FLOW_DET,
  ),
  d(NoveltyAttr.SEEN_COUNT, 'int', '1', 'How many records of the identity the baseline has seen.', FLOW_DET),
  d(NoveltyAttr.SEEN_DAYS, 'int', '1', 'On how many distinct days the identity was seen.', FLOW_DET),
  d(
    NoveltyAttr.SEEN_INTERVALS,
    'int',
    '1',
    'In how many distinct maturity intervals (an hour by default) the identity was seen.',
    FLOW_DET,
  ),
  d(
    NoveltyAttr.LEARNING,
    'boolean',
    '',
    'The baseline is still in its learning period: nothing is called new.',
    FLOW_DET,
  ),
  d(
    NoveltyAttr.CUSTOM,
    'boolean',
    '',
    'The executable is custom (no package owns it, writable/hidden dir, deleted…).',
    FLOW_DET,
  ),
  d(NoveltyAttr.CUSTOM_REASONS, 'string[]', '', 'Why the executable is custom.', FLOW_DET),
  d(NoveltyAttr.ALLOWLIST_ENTRY, 'string', '', 'The allowlist entry that matched.', FLOW_DET),

  d(DetectionAttr.ID, 'string', '', 'Stable detection id (same key and window, same id).', DET),
  d(DetectionAttr.ANALYTIC, 'string', '', 'MITRE ATT&CK analytic, AN0145 for the default rule.', DET),
  d(DetectionAttr.STRATEGY, 'string', '', 'MITRE ATT&CK detection strategy, DET0053.', DET),
  d(DetectionAttr.TECHNIQUE_ID, 'string', '', 'MITRE ATT&CK technique id, T1001.', DET),
  d(DetectionAttr.TECHNIQUE_NAME, 'string', '', 'MITRE ATT&CK technique name, Data Obfuscation.', DET),
  d(DetectionAttr.RULE, 'string', '', 'The rule that fired.', DET),
  d(
    DetectionAttr.FINDING,
    'string',
    '',
    'What was found: low_response, all_failed, many_connections_no_bytes, adaptive_deviation, byte_ratio, long_session, overflow.',
    DET,
  ),
  d(DetectionAttr.SCORE, 'double', '1', 'Score from 0 to 100.', DET),
  d(
    DetectionAttr.REASON,
    'string',
    '',
    'A sentence an analyst can read: what fired and with which numbers.',
    DET,
  ),
  d(DetectionAttr.HOST_ROLE, 'string', '', 'The host role whose thresholds applied.', DET),
  d(DetectionAttr.WINDOW_START, 'int', 'ms', 'Start of the window the detection is about.', DET),
  d(DetectionAttr.WINDOW_END, 'int', 'ms', 'End of the window the detection is about.', DET),
  d(
    DetectionAttr.SUPPRESSED_COUNT,
    'int',
    '1',
    'Repeats of this detection suppressed since the previous one.',
    DET,
  ),
  d(DetectionAttr.FIRED, 'string[]', '', 'The thresholds that fired.', DET),
  d(
    DetectionAttr.REVISION,
    'int',
    '1',
    '0 when the detection is first emitted, then 1, 2… for each revision of the same id: an update, never a second alert.',
    DET,
  ),
  d(
    DetectionAttr.FINAL,
    'boolean',
    '',
    "Whether the evidence is the closed window's (true) or the window's so far (false: fired while it was open).",
    DET,
  ),

  d(CoverageAttr.PERIOD_START, 'int', 'ms', 'Start of the reporting period.', COV),
  d(CoverageAttr.PERIOD_END, 'int', 'ms', 'End of the reporting period.', COV),
  d(
    CoverageAttr.CONNECTIONS,
    'int',
    '{connection}',
    'Connection records that arrived from this host and source format.',
    COV,
  ),
  d(
    CoverageAttr.WITH_PROCESS,
    'int',
    '{connection}',
    'Of those, how many had a process (pid or executable).',
    COV,
  ),
  d(CoverageAttr.WITH_BYTES, 'int', '{connection}', 'Of those, how many had byte counts.', COV),
  d(CoverageAttr.WITH_HTTP, 'int', '{connection}', 'Of those, how many had real HTTP semantics.', COV),
  d(
    CoverageAttr.MALFORMED,
    'int',
    '{line}',
    'Input lines of this source format that could not be read: the counts of the `egressguard.unreadable_input` records of this host and source format the report took in.',
    COV,
  ),
  d(
    UnreadableInputAttr.COUNT,
    'int',
    '{line}',
    'Input lines of this host and source format that could not be read (malformed, too long, unrecognised, dated out of range) in one batch.',
    ['unreadable_input'],
  ),
  d(
    CoverageAttr.SENSOR_DOWN_MS,
    'int',
    'ms',
    'Time within the period during which a live receiver’s sensor was not running (it died and was being restarted): connections of that time were not seen. The period is the gap itself.',
    COV,
  ),
  d(
    CoverageAttr.SENSOR_DOWN_REASON,
    'string',
    '',
    'Why the sensor was not running during the gap (`exited with code 1`, `killed by SIGKILL`, …).',
    COV,
  ),
] as const;

/** Documented prefixes for attribute families whose last segment is chosen by the writer. */
export const ATTRIBUTE_PREFIX_DOCS = [
  d(
    `${DetectionAttr.EVIDENCE_PREFIX}<name>`,
    'double',
    '',
    'Each number the rule used, by name (connections, bytes_received_per_connection, …); the few that are words (novelty_status, counted_scope) are strings.',
    DET,
  ),
  d(
    `${DetectionAttr.THRESHOLD_PREFIX}<name>`,
    'double',
    '',
    'Each threshold the rule compared against, by name.',
    DET,
  ),
] as const;

type Docs = (typeof ATTRIBUTE_DOCS)[number];
type ValueOfType<T extends AttributeType> = T extends 'int' | 'double'
  ? number
  : T extends 'string'
    ? string
    : T extends 'boolean'
      ? boolean
      : string[];

/** Maps every documented attribute name to the TypeScript type its typed accessor returns. */
export type AttributeTypeMap = { [D in Docs as D['name']]: ValueOfType<D['type']> };
/** A documented attribute name. */
export type AttributeName = keyof AttributeTypeMap;
/** A documented attribute prefix family (`egressguard.detection.evidence.<name>`). */
export type AttributePrefixName = (typeof ATTRIBUTE_PREFIX_DOCS)[number]['name'];

const byName = new Map<string, AttributeDoc>(ATTRIBUTE_DOCS.map((doc) => [doc.name, doc]));

/** The documentation of one attribute, or `undefined` for a name the schema does not define. */
export function attributeDoc(name: string): AttributeDoc | undefined {
  return byName.get(name);
}
