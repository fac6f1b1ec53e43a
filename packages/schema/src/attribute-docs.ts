/**
 * The documentation of every attribute name of the schema: its type, unit, which stage writes it and which read it.
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
} from './names.ts';

/** The value types the schema uses. `int` values may arrive as numbers, decimal strings or bigints. */
export type AttributeType = 'string' | 'int' | 'double' | 'boolean' | 'string[]';

/** The stages of the chain, plus `sensor` for whatever produced the record (a normalizer or the sensor itself). */
export type Stage =
  | 'sensor'
  | 'process-attribution'
  | 'http-flow-aggregator'
  | 'novelty-filter'
  | 'ratio-detector'
  | 'coverage-report';

/** Where an attribute lives. */
export type AttributePlace = 'resource' | 'connection' | 'process' | 'http_flow' | 'detection' | 'coverage';

/** One documented attribute. */
export interface AttributeDoc {
  readonly name: string;
  readonly type: AttributeType;
  /** UCUM-style unit as in the semantic conventions: `By`, `ms`, `1`, or `''` for none. */
  readonly unit: string;
  readonly brief: string;
  readonly writtenBy: readonly Stage[];
  readonly readBy: readonly Stage[];
  readonly places: readonly AttributePlace[];
  /** True when the name comes from the OpenTelemetry semantic conventions. */
  readonly semconv: boolean;
}

const d = <const N extends string, const T extends AttributeType>(
  name: N,
  type: T,
  unit: string,
  brief: string,
  writtenBy: readonly Stage[],
  readBy: readonly Stage[],
  places: readonly AttributePlace[],
) => ({ name, type, unit, brief, writtenBy, readBy, places, semconv: !name.startsWith('egressguard.') }) as const;

const ALL_STAGES: readonly Stage[] = ['process-attribution', 'http-flow-aggregator', 'novelty-filter', 'ratio-detector'];
const CONN: readonly AttributePlace[] = ['connection'];
const PROC: readonly AttributePlace[] = ['connection', 'process', 'http_flow', 'detection'];
const FLOW: readonly AttributePlace[] = ['http_flow'];
const FLOW_DET: readonly AttributePlace[] = ['http_flow', 'detection'];
const DET: readonly AttributePlace[] = ['detection'];
const COV: readonly AttributePlace[] = ['coverage'];
const AGG: readonly Stage[] = ['http-flow-aggregator'];
const DETECTOR: readonly Stage[] = ['ratio-detector'];
const SENSOR_ATTR: readonly Stage[] = ['sensor', 'process-attribution'];

/** Every attribute of the schema v1. */
export const ATTRIBUTE_DOCS = [
  d(ResourceAttr.HOST_NAME, 'string', '', 'Host the record is about; all state is kept per host.', ['sensor'], ALL_STAGES, ['resource']),
  d(ResourceAttr.HOST_ID, 'string', '', 'Unique host id (machine-id, cloud instance id) when known.', ['sensor'], ['novelty-filter'], ['resource']),
  d(ResourceAttr.HOST_TYPE, 'string', '', 'Host type; the ratio detector may read a role from it.', ['sensor'], DETECTOR, ['resource']),
  d(ResourceAttr.HOST_ROLE, 'string', '', 'Asset role (server, workstation, build, gateway…) that selects detector thresholds.', ['sensor'], DETECTOR, ['resource']),

  d(ProcessAttr.PID, 'int', '1', 'Process id.', SENSOR_ATTR, ['process-attribution', 'http-flow-aggregator'], PROC),
  d(ProcessAttr.PARENT_PID, 'int', '1', 'Parent process id.', SENSOR_ATTR, [], PROC),
  d(ProcessAttr.EXECUTABLE_PATH, 'string', '', 'Full path of the executable.', SENSOR_ATTR, ['http-flow-aggregator', 'novelty-filter', 'ratio-detector'], PROC),
  d(ProcessAttr.EXECUTABLE_NAME, 'string', '', 'Executable file name (comm when nothing better is known).', SENSOR_ATTR, ['http-flow-aggregator', 'novelty-filter', 'ratio-detector'], PROC),
  d(ProcessAttr.COMMAND_LINE, 'string', '', 'Full command line, arguments joined by spaces.', SENSOR_ATTR, ['novelty-filter'], PROC),
  d(ProcessAttr.OWNER, 'string', '', 'User name of the process owner.', SENSOR_ATTR, ['novelty-filter'], PROC),
  d(ProcessAttr.USER_ID, 'int', '1', 'Effective user id.', SENSOR_ATTR, ['novelty-filter'], PROC),
  d(ProcessAttr.CREATION_TIME, 'string', '', 'Process start time, ISO 8601; with host and pid it identifies one process across pid reuse.', SENSOR_ATTR, ['process-attribution'], PROC),
  d(ProcessAttr.EXIT_TIME, 'string', '', 'Process exit time, ISO 8601 (process exit records).', ['sensor'], ['process-attribution'], ['process']),
  d(ProcessAttr.EXIT_CODE, 'int', '1', 'Process exit code (process exit records).', ['sensor'], [], ['process']),
  d(ProcessAttr.CONTAINER_ID, 'string', '', 'Container id, from the sensor or the cgroup path.', SENSOR_ATTR, ['novelty-filter'], PROC),
  d(ProcessAttr.EXECUTABLE_SHA256, 'string', '', 'SHA-256 of the executable file, lowercase hex.', SENSOR_ATTR, ['novelty-filter'], PROC),
  d(ProcessAttr.EXECUTABLE_DELETED, 'boolean', '', 'The executable was deleted after the process started.', SENSOR_ATTR, ['novelty-filter'], PROC),
  d(ProcessAttr.KERNEL_THREAD, 'boolean', '', 'The "process" is a kernel thread: there is no executable to attribute.', ['process-attribution'], ['novelty-filter'], PROC),

  d(NetworkAttr.TRANSPORT, 'string', '', 'tcp or udp.', ['sensor'], AGG, CONN),
  d(NetworkAttr.TYPE, 'string', '', 'ipv4 or ipv6.', ['sensor'], [], CONN),
  d(NetworkAttr.SOURCE_ADDRESS, 'string', '', 'Local address of the connection.', ['sensor'], ['process-attribution'], CONN),
  d(NetworkAttr.SOURCE_PORT, 'int', '1', 'Local port of the connection (auditd does not know it).', ['sensor'], ['process-attribution'], CONN),
  d(NetworkAttr.DESTINATION_ADDRESS, 'string', '', 'Remote address of the connection.', ['sensor'], ['process-attribution', 'http-flow-aggregator'], CONN),
  d(NetworkAttr.DESTINATION_PORT, 'int', '1', 'Remote port of the connection.', ['sensor'], ['process-attribution', 'http-flow-aggregator'], CONN),
  d(NetworkAttr.SERVER_ADDRESS, 'string', '', 'Server name when known (HTTP Host, TLS SNI, DNS).', ['sensor'], AGG, CONN),
  d(NetworkAttr.PROTOCOL_NAME, 'string', '', '`http` when the source saw HTTP or the port implies it.', ['sensor', 'http-flow-aggregator'], AGG, CONN),

  d(ConnectionAttr.BYTES_SENT, 'int', 'By', 'Bytes the process sent on this connection; missing means unknown, never zero.', ['sensor'], AGG, CONN),
  d(ConnectionAttr.BYTES_RECEIVED, 'int', 'By', 'Bytes the process received on this connection; missing means unknown, never zero.', ['sensor'], AGG, CONN),
  d(ConnectionAttr.DURATION_MS, 'double', 'ms', 'Connection lifetime.', ['sensor'], AGG, CONN),
  d(ConnectionAttr.OUTCOME, 'string', '', 'completed | failed | open | unknown.', ['sensor'], AGG, CONN),

  d(HttpAttr.REQUEST_METHOD, 'string', '', 'HTTP method, when a source saw the request.', ['sensor'], AGG, CONN),
  d(HttpAttr.RESPONSE_STATUS_CODE, 'int', '1', 'HTTP status code, when a source saw the response.', ['sensor'], AGG, CONN),
  d(HttpAttr.URL_FULL, 'string', '', 'Absolute URL, when a source saw it.', ['sensor'], [], CONN),
  d(HttpAttr.REQUEST_BODY_SIZE, 'int', 'By', 'HTTP request body size.', ['sensor'], AGG, CONN),
  d(HttpAttr.RESPONSE_BODY_SIZE, 'int', 'By', 'HTTP response body size.', ['sensor'], AGG, CONN),
  d(HttpAttr.PROTOCOL_INFERRED, 'boolean', '', 'True when only the port says the connection is HTTP.', ['http-flow-aggregator'], DETECTOR, CONN),

  d(ProvenanceAttr.SOURCE_FORMAT, 'string', '', 'The sensor format the record came from (auditd, zeek.conn, tetragon, ss, …).', ['sensor'], ['process-attribution', 'coverage-report'], ['connection', 'process', 'coverage']),
  d(ProvenanceAttr.SOURCE_ID, 'string', '', "The sensor's own id for the event (auditd serial, Zeek uid, Tetragon exec_id).", ['sensor'], ['process-attribution'], ['connection', 'process']),
  d(ProvenanceAttr.BYTES_KIND, 'string', '', 'How the sensor counts bytes: payload, wire, acked, acked_kib.', ['sensor'], AGG, CONN),

  d(AttributionAttr.METHOD, 'string', '', 'How the process was found: event, join, procfs, socket, none.', ['process-attribution'], ['coverage-report', 'ratio-detector'], PROC),
  d(AttributionAttr.CONFIDENCE, 'double', '1', 'Confidence of the attribution, 0 to 1.', ['process-attribution'], DETECTOR, PROC),
  d(AttributionAttr.CANDIDATES, 'int', '1', 'How many candidate processes a join found (more than 1 means ambiguous).', ['process-attribution'], [], CONN),
  d(AttributionAttr.REASON, 'string', '', 'Why attribution failed or is uncertain (ambiguous, no_match, kernel_thread, no_executable, process_gone).', ['process-attribution'], [], CONN),

  d(FlowAttr.KEY, 'string', '', 'The grouping key of the window (host and process identity by default).', AGG, ['novelty-filter', 'ratio-detector'], FLOW_DET),
  d(FlowAttr.WINDOW_START, 'int', 'ms', 'Window start, Unix epoch milliseconds, inclusive.', AGG, DETECTOR, FLOW),
  d(FlowAttr.WINDOW_END, 'int', 'ms', 'Window end, Unix epoch milliseconds, exclusive.', AGG, DETECTOR, FLOW),
  d(FlowAttr.REVISION, 'int', '1', '0 for the first emission of a window, then 1, 2… for corrections by late records.', AGG, DETECTOR, FLOW),
  d(FlowAttr.OVERFLOW, 'boolean', '', 'The record aggregates keys that did not fit the key bound.', AGG, DETECTOR, FLOW),
  d(FlowAttr.CONNECTIONS, 'int', '{connection}', 'HTTP connections in the window.', AGG, DETECTOR, FLOW),
  d(FlowAttr.COMPLETED, 'int', '{connection}', 'Connections with outcome completed.', AGG, DETECTOR, FLOW),
  d(FlowAttr.FAILED, 'int', '{connection}', 'Connections with outcome failed (refused, no reply).', AGG, DETECTOR, FLOW),
  d(FlowAttr.OPEN, 'int', '{connection}', 'Connections still open when last seen.', AGG, DETECTOR, FLOW),
  d(FlowAttr.UNKNOWN, 'int', '{connection}', 'Connections with no known outcome.', AGG, DETECTOR, FLOW),
  d(FlowAttr.INFERRED, 'int', '{connection}', 'Connections counted as HTTP because of their port only.', AGG, DETECTOR, FLOW),
  d(FlowAttr.HTTP_EXCHANGES, 'int', '{connection}', 'Connections with real HTTP fields from the sensor.', AGG, DETECTOR, FLOW),
  d(FlowAttr.WITHOUT_BYTES, 'int', '{connection}', 'Connections whose sensor reported no byte counts.', AGG, DETECTOR, FLOW),
  d(FlowAttr.INTERNAL, 'int', '{connection}', 'Connections to internal address ranges.', AGG, DETECTOR, FLOW),
  d(FlowAttr.EXTERNAL, 'int', '{connection}', 'Connections to external addresses.', AGG, DETECTOR, FLOW),
  d(FlowAttr.EXTERNAL_COMPLETED, 'int', '{connection}', 'External connections with outcome completed.', AGG, DETECTOR, FLOW),
  d(FlowAttr.EXTERNAL_FAILED, 'int', '{connection}', 'External connections with outcome failed.', AGG, DETECTOR, FLOW),
  d(FlowAttr.EXTERNAL_WITH_BYTES, 'int', '{connection}', 'External connections that carried byte counts.', AGG, DETECTOR, FLOW),
  d(FlowAttr.EXTERNAL_BYTES_SENT, 'int', 'By', 'Bytes sent on external connections.', AGG, DETECTOR, FLOW),
  d(FlowAttr.EXTERNAL_BYTES_RECEIVED, 'int', 'By', 'Bytes received on external connections.', AGG, DETECTOR, FLOW),
  d(FlowAttr.BYTES_SENT, 'int', 'By', 'Sum of bytes sent over connections with byte counts.', AGG, DETECTOR, FLOW),
  d(FlowAttr.BYTES_RECEIVED, 'int', 'By', 'Sum of bytes received over connections with byte counts.', AGG, DETECTOR, FLOW),
  d(FlowAttr.BYTES_SENT_MEDIAN, 'double', 'By', 'Median bytes sent per connection.', AGG, DETECTOR, FLOW),
  d(FlowAttr.BYTES_SENT_P90, 'double', 'By', '90th percentile of bytes sent per connection.', AGG, DETECTOR, FLOW),
  d(FlowAttr.BYTES_RECEIVED_MEDIAN, 'double', 'By', 'Median bytes received per connection.', AGG, DETECTOR, FLOW),
  d(FlowAttr.BYTES_RECEIVED_P90, 'double', 'By', '90th percentile of bytes received per connection.', AGG, DETECTOR, FLOW),
  d(FlowAttr.BYTES_KIND, 'string', '', 'Byte kind of the counted connections, or `mixed`.', AGG, DETECTOR, FLOW),
  d(FlowAttr.RATIO_RECEIVED_SENT, 'double', '1', 'Bytes received divided by bytes sent (absent when nothing was sent).', AGG, DETECTOR, FLOW),
  d(FlowAttr.DESTINATIONS, 'int', '1', 'Distinct destinations (address and port).', AGG, DETECTOR, FLOW),
  d(FlowAttr.DESTINATIONS_ESTIMATED, 'boolean', '', 'True when the distinct count passed its exact bound and is an estimate.', AGG, DETECTOR, FLOW),
  d(FlowAttr.FIRST_SEEN, 'int', 'ms', 'Event time of the first connection in the window.', AGG, DETECTOR, FLOW),
  d(FlowAttr.LAST_SEEN, 'int', 'ms', 'Event time of the last connection in the window.', AGG, DETECTOR, FLOW),
  d(FlowAttr.INTERVAL_MEAN_MS, 'double', 'ms', 'Mean interval between consecutive connection starts.', AGG, DETECTOR, FLOW),
  d(FlowAttr.INTERVAL_CV, 'double', '1', 'Coefficient of variation of those intervals; near 0 means a regular beacon.', AGG, DETECTOR, FLOW),

  d(NoveltyAttr.STATUS, 'string', '', 'new | rare | known | allowlisted.', ['novelty-filter'], DETECTOR, FLOW_DET),
  d(NoveltyAttr.IDENTITY, 'string', '', 'The normalised process identity the baseline is keyed on.', ['novelty-filter'], DETECTOR, FLOW_DET),
  d(NoveltyAttr.FIRST_SEEN, 'int', 'ms', 'When the identity was first seen, Unix epoch milliseconds.', ['novelty-filter'], DETECTOR, FLOW_DET),
  d(NoveltyAttr.SEEN_COUNT, 'int', '1', 'How many records of the identity the baseline has seen.', ['novelty-filter'], DETECTOR, FLOW_DET),
  d(NoveltyAttr.SEEN_DAYS, 'int', '1', 'On how many distinct days the identity was seen.', ['novelty-filter'], DETECTOR, FLOW_DET),
  d(NoveltyAttr.LEARNING, 'boolean', '', 'The baseline is still in its learning period: nothing is called new.', ['novelty-filter'], DETECTOR, FLOW_DET),
  d(NoveltyAttr.CUSTOM, 'boolean', '', 'The executable is custom (no package owns it, writable/hidden dir, deleted…).', ['novelty-filter'], DETECTOR, FLOW_DET),
  d(NoveltyAttr.CUSTOM_REASONS, 'string[]', '', 'Why the executable is custom.', ['novelty-filter'], DETECTOR, FLOW_DET),
  d(NoveltyAttr.ALLOWLIST_ENTRY, 'string', '', 'The allowlist entry that matched.', ['novelty-filter'], DETECTOR, FLOW_DET),

  d(DetectionAttr.ID, 'string', '', 'Stable detection id (same key and window, same id).', DETECTOR, [], DET),
  d(DetectionAttr.ANALYTIC, 'string', '', 'MITRE ATT&CK analytic, AN0145 for the default rule.', DETECTOR, [], DET),
  d(DetectionAttr.STRATEGY, 'string', '', 'MITRE ATT&CK detection strategy, DET0053.', DETECTOR, [], DET),
  d(DetectionAttr.TECHNIQUE_ID, 'string', '', 'MITRE ATT&CK technique id, T1001.', DETECTOR, [], DET),
  d(DetectionAttr.TECHNIQUE_NAME, 'string', '', 'MITRE ATT&CK technique name, Data Obfuscation.', DETECTOR, [], DET),
  d(DetectionAttr.RULE, 'string', '', 'The rule that fired.', DETECTOR, [], DET),
  d(DetectionAttr.FINDING, 'string', '', 'What was found: low_response, all_failed, adaptive_deviation, byte_ratio, long_session.', DETECTOR, [], DET),
  d(DetectionAttr.SCORE, 'double', '1', 'Score from 0 to 100.', DETECTOR, [], DET),
  d(DetectionAttr.REASON, 'string', '', 'A sentence an analyst can read: what fired and with which numbers.', DETECTOR, [], DET),
  d(DetectionAttr.HOST_ROLE, 'string', '', 'The host role whose thresholds applied.', DETECTOR, [], DET),
  d(DetectionAttr.WINDOW_START, 'int', 'ms', 'Start of the window the detection is about.', DETECTOR, [], DET),
  d(DetectionAttr.WINDOW_END, 'int', 'ms', 'End of the window the detection is about.', DETECTOR, [], DET),
  d(DetectionAttr.SUPPRESSED_COUNT, 'int', '1', 'Repeats of this detection suppressed since the previous one.', DETECTOR, [], DET),
  d(DetectionAttr.FIRED, 'string[]', '', 'The thresholds that fired.', DETECTOR, [], DET),

  d(CoverageAttr.PERIOD_START, 'int', 'ms', 'Start of the reporting period.', ['coverage-report'], [], COV),
  d(CoverageAttr.PERIOD_END, 'int', 'ms', 'End of the reporting period.', ['coverage-report'], [], COV),
  d(CoverageAttr.CONNECTIONS, 'int', '{connection}', 'Connection records that arrived from this host and source format.', ['coverage-report'], [], COV),
  d(CoverageAttr.WITH_PROCESS, 'int', '{connection}', 'Of those, how many had a process (pid or executable).', ['coverage-report'], [], COV),
  d(CoverageAttr.WITH_BYTES, 'int', '{connection}', 'Of those, how many had byte counts.', ['coverage-report'], [], COV),
  d(CoverageAttr.WITH_HTTP, 'int', '{connection}', 'Of those, how many had real HTTP semantics.', ['coverage-report'], [], COV),
  d(CoverageAttr.MALFORMED, 'int', '{line}', 'Input lines of this source format that could not be read.', ['coverage-report'], [], COV),
] as const;

/** Documented prefixes for attribute families whose last segment is chosen by the writer. */
export const ATTRIBUTE_PREFIX_DOCS = [
  d(`${DetectionAttr.EVIDENCE_PREFIX}<name>`, 'double', '', 'Each number the rule used, by name (connections, bytes_received_per_connection, …).', DETECTOR, [], DET),
  d(`${DetectionAttr.THRESHOLD_PREFIX}<name>`, 'double', '', 'Each threshold the rule compared against, by name.', DETECTOR, [], DET),
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

const byName = new Map<string, AttributeDoc>(ATTRIBUTE_DOCS.map((doc) => [doc.name, doc]));

/** The documentation of one attribute, or `undefined` for a name the schema does not define. */
export function attributeDoc(name: string): AttributeDoc | undefined {
  return byName.get(name);
}
