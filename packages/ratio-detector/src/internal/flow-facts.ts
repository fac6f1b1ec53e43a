/**
 * The numbers of one `egressguard.http_flow` record, read once, in the scope the rules count (`external` or
 * `all` connections). Missing means unknown, never zero: a count the aggregator did not write stays `undefined`
 * and the rules that need it do not judge.
 */
import {
  FlowAttr,
  get,
  getBool,
  getString,
  hostName,
  type ReadonlyPipelineRecord,
} from '@egressguard/schema';

/** Which connections the rules count. */
export type CountScope = 'external' | 'all';

/** What a flow record says, in the counted scope. */
export interface FlowFacts {
  readonly key: string;
  readonly host: string;
  readonly windowStart: number;
  readonly windowEnd: number;
  readonly revision: number;
  readonly overflow: boolean;
  /** An interim update of a window still open: its numbers are the window's so far. */
  readonly interim: boolean;
  /** Of an interim update: event time of the connection that made it. */
  readonly triggerMs: number | undefined;
  /** The scope actually counted: `all` when `external` was asked but the record has no internal/external split. */
  readonly scope: CountScope;
  /** True when `external` was asked and the record had no split, so every connection was counted. */
  readonly splitMissing: boolean;
  readonly connections: number;
  readonly internal: number | undefined;
  readonly external: number | undefined;
  /** Connections in the counted scope. */
  readonly counted: number;
  readonly failed: number | undefined;
  readonly completed: number | undefined;
  readonly open: number | undefined;
  readonly unknown: number | undefined;
  /** Counted connections that carried byte counts (0 when none did). */
  readonly withBytes: number;
  /** Bytes over counted connections with byte counts; `undefined` when none had bytes. */
  readonly bytesSent: number | undefined;
  readonly bytesReceived: number | undefined;
  /**
   * Counted connections that could have been answered: those with bytes, at most the ones that did not fail.
   * Failed attempts often carry zero bytes; dividing by them would make failures look like small replies.
   */
  readonly answered: number;
  readonly bytesReceivedPerConnection: number | undefined;
  /** Received divided by sent; `undefined` when nothing was sent or no bytes are known. */
  readonly receivedToSent: number | undefined;
  readonly destinations: number | undefined;
  readonly intervalCv: number | undefined;
  readonly intervalMeanMs: number | undefined;
  readonly firstSeen: number | undefined;
  readonly lastSeen: number | undefined;
  /** Last minus first connection start in the window. */
  readonly activeSpanMs: number | undefined;
  readonly windowMs: number;
  readonly connectionsPerHour: number | undefined;
}

/** Reads a flow record that passed validation (key, window and connections present). */
export function readFlowFacts(record: ReadonlyPipelineRecord, scope: CountScope): FlowFacts {
  const a = record.attributes;
  const connections = get(a, FlowAttr.CONNECTIONS) ?? 0;
  const internal = get(a, FlowAttr.INTERNAL);
  const external = get(a, FlowAttr.EXTERNAL);
  const splitMissing = scope === 'external' && external === undefined;
  const effective: CountScope = splitMissing ? 'all' : scope;

  let counted: number;
  let failed: number | undefined;
  let completed: number | undefined;
  let withBytesRaw: number | undefined;
  let sent: number | undefined;
  let received: number | undefined;
  if (effective === 'external') {
    counted = external ?? 0;
    failed = get(a, FlowAttr.EXTERNAL_FAILED);
    completed = get(a, FlowAttr.EXTERNAL_COMPLETED);
    withBytesRaw = get(a, FlowAttr.EXTERNAL_WITH_BYTES);
    sent = get(a, FlowAttr.EXTERNAL_BYTES_SENT);
    received = get(a, FlowAttr.EXTERNAL_BYTES_RECEIVED);
  } else {
    counted = connections;
    failed = get(a, FlowAttr.FAILED);
    completed = get(a, FlowAttr.COMPLETED);
    const without = get(a, FlowAttr.WITHOUT_BYTES);
    withBytesRaw = without === undefined ? undefined : Math.max(0, connections - without);
    sent = get(a, FlowAttr.BYTES_SENT);
    received = get(a, FlowAttr.BYTES_RECEIVED);
  }
  // Without a with-bytes count, byte sums that are present speak for every counted connection.
  const withBytes = withBytesRaw ?? (sent !== undefined || received !== undefined ? counted : 0);
  if (withBytes === 0) {
    sent = undefined;
    received = undefined;
  }
  const answered = Math.min(withBytes, counted - (failed ?? 0));
  const windowStart = get(a, FlowAttr.WINDOW_START) ?? 0;
  const windowEnd = get(a, FlowAttr.WINDOW_END) ?? windowStart;
  const windowMs = windowEnd - windowStart;
  const firstSeen = get(a, FlowAttr.FIRST_SEEN);
  const lastSeen = get(a, FlowAttr.LAST_SEEN);
  return {
    key: getString(a, FlowAttr.KEY) ?? '',
    host: hostName(record) ?? '',
    windowStart,
    windowEnd,
    revision: get(a, FlowAttr.REVISION) ?? 0,
    overflow: getBool(a, FlowAttr.OVERFLOW) === true,
    interim: getBool(a, FlowAttr.INTERIM) === true,
    triggerMs: get(a, FlowAttr.INTERIM_TRIGGER),
    scope: effective,
    splitMissing,
    connections,
    internal,
    external,
    counted,
    failed,
    completed,
    open: get(a, FlowAttr.OPEN),
    unknown: get(a, FlowAttr.UNKNOWN),
    withBytes,
    bytesSent: sent,
    bytesReceived: received,
    answered,
    bytesReceivedPerConnection: received !== undefined && answered > 0 ? received / answered : undefined,
    receivedToSent: received !== undefined && sent !== undefined && sent > 0 ? received / sent : undefined,
    destinations: get(a, FlowAttr.DESTINATIONS),
    intervalCv: get(a, FlowAttr.INTERVAL_CV),
    intervalMeanMs: get(a, FlowAttr.INTERVAL_MEAN_MS),
    firstSeen,
    lastSeen,
    activeSpanMs: firstSeen !== undefined && lastSeen !== undefined ? lastSeen - firstSeen : undefined,
    windowMs,
    connectionsPerHour: windowMs > 0 ? (counted * 3_600_000) / windowMs : undefined,
  };
}
