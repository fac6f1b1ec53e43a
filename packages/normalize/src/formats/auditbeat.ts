/**
 * Auditbeat's `system/socket` dataset (the kprobe-based implementation of Auditbeat 7.5+), its `network_flow`
 * events in ECS JSON as Auditbeat writes them (one document per line, or already decoded objects).
 *
 * The dataset ties each flow to the process and user that owned the socket and counts bytes and packets in both
 * directions. From Auditbeat's flow-to-event code: the local endpoint becomes `source` for an outbound flow (and the
 * remote one `destination`); the local endpoint's bytes are counted on the send path and the remote's on the receive
 * path, at the IP layer, so they are wire bytes (headers included); `event.duration` is last seen minus created, in
 * nanoseconds; `flow.final` is false for an interim report of a flow that is still alive.
 */
import type { HrTime } from '@opentelemetry/api';
import {
  BytesKind,
  ConnectionAttr,
  NetworkAttr,
  Outcome,
  ProcessAttr,
  ProvenanceAttr,
  type OutcomeValue,
  type PipelineRecord,
} from '@egressguard/schema';

import type { ParseError, ParseOutput, ParserOptions, SensorFormat, SensorParser } from '../format.ts';
import { Tally } from '../internal/tally.ts';
import { connectionRecord, ipNetworkType, isoToHrTime } from './internal/connection-record.ts';
import {
  parseJsonObject,
  pathBool,
  pathCount,
  pathNumber,
  pathString,
  pathValue,
} from './internal/object-path.ts';

/** `egressguard.source.format` of Auditbeat socket flows. */
export const AUDITBEAT_SOURCE = 'auditbeat.socket';

type Doc = Readonly<Record<string, unknown>>;

/** Auditbeat 7.x writes `event.module: system` + `event.dataset: socket`; 8.x writes `event.dataset: system.socket`. */
function isSocketDataset(doc: Doc): boolean {
  const dataset = pathString(doc, 'event.dataset');
  return (
    dataset === 'system.socket' || (dataset === 'socket' && pathString(doc, 'event.module') === 'system')
  );
}

/** ECS 1.x direction names (`outbound`, `inbound`) and ECS 8's (`egress`, `ingress`). */
function direction(doc: Doc): 'outbound' | 'inbound' | 'unknown' {
  const d = pathString(doc, 'network.direction');
  if (d === 'outbound' || d === 'egress') return 'outbound';
  if (d === 'inbound' || d === 'ingress') return 'inbound';
  return 'unknown';
}

/**
 * Outcome of a flow: an interim report (`flow.final` false) is still `open`; a final TCP flow in which the remote
 * side sent no packet never got a SYN-ACK, so `failed`; a final flow with packets both ways `completed`; anything
 * else (UDP without reply, `flow.final` absent) `unknown`.
 */
function flowOutcome(doc: Doc, transport: string | undefined): OutcomeValue {
  const final = pathBool(doc, 'flow.final');
  if (final === false) return Outcome.OPEN;
  if (final !== true) return Outcome.UNKNOWN;
  const remotePackets = pathCount(doc, 'destination.packets');
  if (remotePackets === undefined) return Outcome.UNKNOWN;
  if (remotePackets > 0) return Outcome.COMPLETED;
  return transport === 'tcp' ? Outcome.FAILED : Outcome.UNKNOWN;
}

function commandLine(doc: Doc): string | undefined {
  const args = pathValue(doc, 'process.args');
  if (Array.isArray(args) && args.length > 0 && args.every((a) => typeof a === 'string'))
    return args.join(' ');
  return undefined;
}

function validPort(port: number | undefined): port is number {
  return port !== undefined && port <= 65535;
}

/**
 * The parser. Counters: `inbound_ignored` (flows another host opened to this one), `direction_unknown_ignored`
 * (Auditbeat could not tell which side is local), `other_actions_ignored` (socket events other than
 * `network_flow`), `other_datasets_ignored` (process, file, auditd … documents).
 */
class AuditbeatParser implements SensorParser {
  readonly #options: ParserOptions;
  readonly #tally = new Tally();

  constructor(options: ParserOptions) {
    this.#options = options;
  }

  counters(): Readonly<Record<string, number>> {
    return this.#tally.view();
  }

  push(input: string | Doc, line: number): ParseOutput {
    const records: PipelineRecord[] = [];
    const errors: ParseError[] = [];
    let doc: Doc;
    if (typeof input === 'string') {
      if (input.trim() === '') return { records, errors };
      const parsed = parseJsonObject(input);
      if (!parsed) return { records, errors: [{ line, reason: 'not a JSON object' }] };
      doc = parsed;
    } else {
      doc = input;
    }
    if (!isSocketDataset(doc)) {
      this.#tally.add('other_datasets_ignored');
      return { records, errors };
    }
    if (pathString(doc, 'event.action') !== 'network_flow') {
      this.#tally.add('other_actions_ignored');
      return { records, errors };
    }
    const dir = direction(doc);
    if (dir !== 'outbound') {
      this.#tally.add(dir === 'inbound' ? 'inbound_ignored' : 'direction_unknown_ignored');
      return { records, errors };
    }
    const result = this.#flow(doc);
    if (typeof result === 'string') errors.push({ line, reason: result });
    else records.push(result);
    return { records, errors };
  }

  end(): ParseOutput {
    return { records: [], errors: [] };
  }

  #flow(doc: Doc): PipelineRecord | string {
    const start = pathString(doc, 'event.start');
    const stamp = pathString(doc, '@timestamp');
    const startTime: HrTime | undefined = start === undefined ? undefined : isoToHrTime(start);
    const seen: HrTime | undefined = stamp === undefined ? undefined : isoToHrTime(stamp);
    if (start !== undefined && startTime === undefined) return `event.start: not a date-time (${start})`;
    if (startTime === undefined && seen === undefined)
      return 'network_flow: neither event.start nor @timestamp';
    const dst = pathString(doc, 'destination.ip');
    const dport = pathCount(doc, 'destination.port');
    if (dst === undefined || !validPort(dport))
      return 'network_flow: destination.ip or destination.port missing';
    const sport = pathCount(doc, 'source.port');
    const src = pathString(doc, 'source.ip');
    const transport = pathString(doc, 'network.transport');
    const sent = pathCount(doc, 'source.bytes');
    const received = pathCount(doc, 'destination.bytes');
    const durationNs = pathNumber(doc, 'event.duration');
    const host = pathString(doc, 'host.name') ?? pathString(doc, 'host.hostname');
    const resource = host === undefined ? this.#options.defaultResource : this.#options.resourceFor(host);
    return connectionRecord(
      resource,
      { time: startTime ?? seen, observed: seen ?? startTime },
      {
        [NetworkAttr.TRANSPORT]: transport,
        [NetworkAttr.TYPE]: pathString(doc, 'network.type') ?? ipNetworkType(dst),
        [NetworkAttr.SOURCE_ADDRESS]: src,
        [NetworkAttr.SOURCE_PORT]: validPort(sport) ? sport : undefined,
        [NetworkAttr.DESTINATION_ADDRESS]: dst,
        [NetworkAttr.DESTINATION_PORT]: dport,
        // Auditbeat's DNS tracking names the destination the process looked up, when it saw the lookup.
        [NetworkAttr.SERVER_ADDRESS]: pathString(doc, 'destination.domain'),
        [ConnectionAttr.BYTES_SENT]: sent,
        [ConnectionAttr.BYTES_RECEIVED]: received,
        [ConnectionAttr.DURATION_MS]:
          durationNs !== undefined && durationNs >= 0 ? durationNs / 1e6 : undefined,
        [ConnectionAttr.OUTCOME]: flowOutcome(doc, transport),
        [ProcessAttr.PID]: pathCount(doc, 'process.pid'),
        [ProcessAttr.EXECUTABLE_PATH]: pathString(doc, 'process.executable'),
        [ProcessAttr.EXECUTABLE_NAME]: pathString(doc, 'process.name'),
        [ProcessAttr.COMMAND_LINE]: commandLine(doc),
        [ProcessAttr.CREATION_TIME]: pathString(doc, 'process.created'),
        [ProcessAttr.USER_ID]: pathCount(doc, 'user.id'),
        [ProcessAttr.OWNER]: pathString(doc, 'user.name'),
        [ProcessAttr.CONTAINER_ID]: pathString(doc, 'container.id'),
        [ProvenanceAttr.SOURCE_FORMAT]: AUDITBEAT_SOURCE,
        [ProvenanceAttr.BYTES_KIND]:
          sent !== undefined || received !== undefined ? BytesKind.WIRE : undefined,
      },
    );
  }
}

function looksLikeAuditbeat(input: string | Doc): boolean {
  if (typeof input === 'string') {
    if (!input.startsWith('{') || !input.includes('socket')) return false;
    const doc = parseJsonObject(input);
    return doc !== undefined && isSocketDataset(doc);
  }
  return isSocketDataset(input);
}

/** Auditbeat `system/socket` `network_flow` events (ECS JSON): outbound flows with process, user and wire bytes. */
export const auditbeatFormat: SensorFormat = {
  name: 'auditbeat',
  description:
    'Auditbeat system/socket network_flow events (ECS JSON): outbound flows with process, user, wire bytes both ' +
    'ways and duration; inbound flows are counted, not emitted.',
  sourceFormats: [AUDITBEAT_SOURCE],
  recognize: looksLikeAuditbeat,
  createParser: (options: ParserOptions) => new AuditbeatParser(options),
};
