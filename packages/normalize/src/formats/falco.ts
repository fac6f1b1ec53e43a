/**
 * Falco alerts written with `json_output: true`: one JSON object per line with `time`, `rule`, `priority`,
 * `hostname` and the rule's `output_fields`. An alert becomes a connection record when its `fd.name` holds an IP
 * tuple, `client:port->server:port` (libsinsp writes IPv6 tuples with or without brackets); alerts about other
 * things (a shell in a container) carry no connection and are counted, not emitted. `accept` events are inbound
 * and counted too.
 *
 * Falco sees the syscall (connect) and its result, never bytes or the end of the connection: the outcome is
 * `failed` when `evt.res` names an error other than EINPROGRESS, `unknown` otherwise. The transport is written only
 * when the rule output carries `fd.l4proto`. `container.id` is left out when Falco says `host` (not in a container).
 */
import type { HrTime } from '@opentelemetry/api';
import {
  ConnectionAttr,
  EventName,
  NetworkAttr,
  Outcome,
  ProcessAttr,
  ProvenanceAttr,
  type PipelineRecord,
  parseAddress,
  type CanonicalAddress,
} from '@egressguard/schema';

import type { ParseOutput, SensorFormat } from '../format.ts';
import { nanosValueToHrTime, parseTimestamp } from '../internal/event-time.ts';
import { int, obj, pushJsonObject, str, type JsonObject } from '../internal/json-input.ts';
import { baseName, buildRecord } from '../internal/record-builder.ts';
import { StatelessParser } from '../internal/stateless-parser.ts';

/** The `egressguard.source.format` value of Falco records. */
export const FALCO_SOURCE_FORMAT = 'falco';

interface Endpoint {
  readonly ip: CanonicalAddress;
  readonly port: number;
}

/** Splits `addr:port` where addr may be IPv6 with or without brackets. */
function endpoint(text: string): Endpoint | undefined {
  const t = text.trim();
  let host: string;
  let portText: string;
  if (t.startsWith('[')) {
    const close = t.indexOf(']');
    if (close === -1 || t[close + 1] !== ':') return undefined;
    host = t.slice(1, close);
    portText = t.slice(close + 2);
  } else {
    const colon = t.lastIndexOf(':');
    if (colon === -1) return undefined;
    host = t.slice(0, colon);
    portText = t.slice(colon + 1);
  }
  const ip = parseAddress(host);
  if (!ip || !/^\d+$/.test(portText)) return undefined;
  const port = Number(portText);
  return port <= 65535 ? { ip, port } : undefined;
}

/** `client:port->server:port` as two endpoints; `undefined` for non-IP fds (files, unix sockets). */
export function parseFdTuple(
  name: string,
): { readonly client: Endpoint; readonly server: Endpoint } | undefined {
  const arrow = name.indexOf('->');
  if (arrow === -1) return undefined;
  const client = endpoint(name.slice(0, arrow));
  const server = endpoint(name.slice(arrow + 2));
  return client && server ? { client, server } : undefined;
}

class FalcoParser extends StatelessParser {
  push(input: string | Readonly<Record<string, unknown>>, line: number): ParseOutput {
    return pushJsonObject(input, line, (alert, records) => this.convert(alert, records));
  }

  private convert(alert: JsonObject, records: PipelineRecord[]): string | undefined {
    const fields = obj(alert, 'output_fields');
    if (!fields) return 'Falco alert has no output_fields object';
    const fdName = str(fields, 'fd.name');
    const tuple = fdName !== undefined ? parseFdTuple(fdName) : undefined;
    if (!tuple) {
      this.tally.add('ignored_without_ip_tuple');
      return undefined;
    }
    const evtType = str(fields, 'evt.type');
    if (evtType === 'accept' || evtType === 'accept4' || fields['fd.is_server'] === true) {
      this.tally.add('ignored_inbound');
      return undefined;
    }
    const time = timeOf(alert, fields);
    if (!time) return 'Falco alert has no readable time (time or output_fields["evt.time"])';
    const host = str(alert, 'hostname');
    const exePath =
      str(fields, 'proc.exepath') ??
      (str(fields, 'proc.exe')?.startsWith('/') ? str(fields, 'proc.exe') : undefined);
    const container = str(fields, 'container.id');
    const l4 = str(fields, 'fd.l4proto')?.toLowerCase();
    const res = str(fields, 'evt.res');
    const failed = res !== undefined && res !== 'SUCCESS' && res !== 'EINPROGRESS' && !/^\d+$/.test(res);
    records.push(
      buildRecord(
        EventName.CONNECTION,
        time,
        {
          [ProcessAttr.PID]: int(fields, 'proc.pid'),
          [ProcessAttr.PARENT_PID]: int(fields, 'proc.ppid'),
          [ProcessAttr.EXECUTABLE_PATH]: exePath,
          [ProcessAttr.EXECUTABLE_NAME]: str(fields, 'proc.name') ?? baseName(exePath),
          [ProcessAttr.COMMAND_LINE]: str(fields, 'proc.cmdline'),
          [ProcessAttr.USER_ID]: nonNegative(int(fields, 'user.uid')),
          [ProcessAttr.OWNER]: str(fields, 'user.name'),
          [ProcessAttr.CONTAINER_ID]: container === 'host' ? undefined : container,
          [NetworkAttr.TRANSPORT]: l4 === 'tcp' || l4 === 'udp' ? l4 : undefined,
          [NetworkAttr.TYPE]: tuple.server.ip.type,
          [NetworkAttr.SOURCE_ADDRESS]: tuple.client.ip.address,
          [NetworkAttr.SOURCE_PORT]: tuple.client.port,
          [NetworkAttr.DESTINATION_ADDRESS]: tuple.server.ip.address,
          [NetworkAttr.DESTINATION_PORT]: tuple.server.port,
          [ConnectionAttr.OUTCOME]: failed ? Outcome.FAILED : Outcome.UNKNOWN,
          [ProvenanceAttr.SOURCE_FORMAT]: FALCO_SOURCE_FORMAT,
        },
        host !== undefined ? this.options.resourceFor(host) : this.options.defaultResource,
      ),
    );
    return undefined;
  }
}

function nonNegative(n: number | undefined): number | undefined {
  return n !== undefined && n >= 0 ? n : undefined;
}

function timeOf(alert: JsonObject, fields: JsonObject): HrTime | undefined {
  const t = str(alert, 'time');
  return (t !== undefined ? parseTimestamp(t) : undefined) ?? nanosValueToHrTime(fields['evt.time']);
}

/** Falco JSON alerts. */
export const falcoFormat: SensorFormat = {
  name: 'falco',
  description:
    'Falco json_output alerts: alerts whose fd.name holds an IP tuple as connection records (no bytes).',
  sourceFormats: [FALCO_SOURCE_FORMAT],
  recognize(input) {
    if (typeof input === 'string')
      return (
        input.trimStart().startsWith('{') && input.includes('"output_fields"') && input.includes('"rule"')
      );
    return typeof input.rule === 'string' && typeof input.output_fields === 'object';
  },
  createParser(options) {
    return new FalcoParser(options);
  },
};
