/**
 * Sysmon for Linux: one `<Event>` XML document per syslog line (`Mar  1 12:00:00 host sysmon: <Event>…`).
 * EventID 1 (ProcessCreate) becomes a process record, EventID 3 (NetworkConnect) with `Initiated=true` a connection
 * record; `Initiated=false` is an inbound connection accepted by the process and is counted, not emitted.
 *
 * Sysmon sees the process and the 5-tuple, never bytes or the end of the connection, so the outcome is `unknown`.
 * `User` is a user name (`process.owner`); Sysmon for Linux writes no numeric uid. `ProcessGuid` is the source id:
 * it ties a connection to its ProcessCreate event across pid reuse.
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
} from '@egressguard/schema';

import type { ParseError, ParseOutput, SensorFormat } from '../format.ts';
import { parseTimestamp } from '../internal/event-time.ts';
import { baseName, buildRecord } from '../internal/record-builder.ts';
import { StatelessParser } from '../internal/stateless-parser.ts';
import { parseSysmonXml, type SysmonEvent } from '../internal/sysmon-xml.ts';

/** The `egressguard.source.format` value of Sysmon records. */
export const SYSMON_SOURCE_FORMAT = 'sysmon';

/** RFC 3164 syslog prefix before the XML: `<pri>Mmm dd hh:mm:ss host tag[pid]: ` (or an RFC 3339 time). */
const SYSLOG_HOST = /^(?:<\d+>)?(?:[A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2}|\d{4}-\d{2}-\d{2}T\S+) (\S+) /;

class SysmonParser extends StatelessParser {
  push(input: string | Readonly<Record<string, unknown>>, line: number): ParseOutput {
    const records: PipelineRecord[] = [];
    const errors: ParseError[] = [];
    if (typeof input !== 'string') {
      errors.push({ line, reason: 'Sysmon input must be a text line, got an object' });
      return { records, errors };
    }
    if (input.trim() === '') return { records, errors };
    const start = input.indexOf('<Event');
    if (start === -1) {
      errors.push({ line, reason: 'no <Event> XML in the line' });
      return { records, errors };
    }
    const event = parseSysmonXml(input.slice(start));
    if ('error' in event) {
      errors.push({ line, reason: event.error });
      return { records, errors };
    }
    const host = event.computer ?? SYSLOG_HOST.exec(input.slice(0, start))?.[1];
    const problem = this.convert(event, host, records);
    if (problem) errors.push({ line, reason: problem });
    return { records, errors };
  }

  private convert(
    event: SysmonEvent,
    host: string | undefined,
    records: PipelineRecord[],
  ): string | undefined {
    if (event.eventId !== 1 && event.eventId !== 3) {
      this.tally.add('ignored_event_ids');
      return undefined;
    }
    const d = event.data;
    const time = timeOf(event);
    if (!time) return `EventID ${event.eventId} has no readable UtcTime or TimeCreated`;
    const resource = host !== undefined ? this.options.resourceFor(host) : this.options.defaultResource;
    const image = d.get('Image');
    const process = {
      [ProcessAttr.PID]: intText(d.get('ProcessId')),
      [ProcessAttr.EXECUTABLE_PATH]: image,
      [ProcessAttr.EXECUTABLE_NAME]: baseName(image),
      [ProcessAttr.OWNER]: d.get('User'),
      [ProvenanceAttr.SOURCE_FORMAT]: SYSMON_SOURCE_FORMAT,
      [ProvenanceAttr.SOURCE_ID]: d.get('ProcessGuid'),
    };
    if (event.eventId === 1) {
      if (process[ProcessAttr.PID] === undefined) return 'EventID 1 has no numeric ProcessId';
      records.push(
        buildRecord(
          EventName.PROCESS_EXEC,
          time,
          {
            ...process,
            [ProcessAttr.COMMAND_LINE]: d.get('CommandLine'),
            [ProcessAttr.PARENT_PID]: intText(d.get('ParentProcessId')),
          },
          resource,
        ),
      );
      return undefined;
    }
    if (d.get('Initiated') !== 'true') {
      this.tally.add('ignored_inbound');
      return undefined;
    }
    const destination = parseAddress(d.get('DestinationIp') ?? '');
    if (!destination)
      return `EventID 3 DestinationIp ${JSON.stringify(d.get('DestinationIp') ?? '')} is not an IP address`;
    const port = intText(d.get('DestinationPort'));
    if (port === undefined) return 'EventID 3 has no numeric DestinationPort';
    const protocol = d.get('Protocol')?.toLowerCase();
    records.push(
      buildRecord(
        EventName.CONNECTION,
        time,
        {
          ...process,
          [NetworkAttr.TRANSPORT]: protocol === 'tcp' || protocol === 'udp' ? protocol : undefined,
          [NetworkAttr.TYPE]: destination.type,
          [NetworkAttr.SOURCE_ADDRESS]: parseAddress(d.get('SourceIp') ?? '')?.address,
          [NetworkAttr.SOURCE_PORT]: intText(d.get('SourcePort')),
          [NetworkAttr.DESTINATION_ADDRESS]: destination.address,
          [NetworkAttr.DESTINATION_PORT]: port,
          [ConnectionAttr.OUTCOME]: Outcome.UNKNOWN,
        },
        resource,
      ),
    );
    return undefined;
  }
}

function timeOf(event: SysmonEvent): HrTime | undefined {
  const utc = event.data.get('UtcTime');
  return (
    (utc !== undefined ? parseTimestamp(utc) : undefined) ??
    (event.systemTime !== undefined ? parseTimestamp(event.systemTime) : undefined)
  );
}

function intText(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d+$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** Sysmon for Linux events (XML in syslog lines). */
export const sysmonFormat: SensorFormat = {
  name: 'sysmon',
  description:
    'Sysmon for Linux XML events in syslog lines: EventID 1 as process records, EventID 3 (Initiated=true) as connection records.',
  sourceFormats: [SYSMON_SOURCE_FORMAT],
  recognize(input) {
    return (
      typeof input === 'string' &&
      input.includes('<Event') &&
      (input.includes('Linux-Sysmon') || input.includes('<EventID>'))
    );
  },
  createParser(options) {
    return new SysmonParser(options);
  },
};
