/**
 * What the blind-spot report counts for one connection record: a process, byte counts and real HTTP semantics.
 * Sensors differ in what they see (auditd, Sysmon and Falco see no bytes; Zeek sees no process; only Zeek's http.log
 * sees HTTP), and what no stage could fill in is a product output, not a footnote. Used by the `coverage_report`
 * processor; the CLI's replay summary renders its records.
 */
import {
  ConnectionAttr,
  HAS_PROCESS_KEYS,
  HttpAttr,
  type ReadonlyPipelineRecord,
  type ReadonlyRecordAttributes,
} from '@egressguard/schema';

/** The host label of records whose resource has no `host.name`. */
export const UNKNOWN_HOST = '(unknown)';
/** The format label of records without `egressguard.source.format`. */
export const UNKNOWN_FORMAT = '(none)';

const BYTES_KEYS = [ConnectionAttr.BYTES_SENT, ConnectionAttr.BYTES_RECEIVED];
// Real HTTP semantics: fields only a source that parsed HTTP can write. `network.protocol.name` is left out on
// purpose: the aggregator sets it from the port alone (with egressguard.protocol.inferred).
const HTTP_KEYS = [HttpAttr.REQUEST_METHOD, HttpAttr.RESPONSE_STATUS_CODE, HttpAttr.URL_FULL];

function present(attrs: ReadonlyRecordAttributes, keys: readonly string[]): boolean {
  for (const k of keys) {
    const v = attrs[k];
    if (v !== undefined && v !== null && v !== '') return true;
  }
  return false;
}

/** What a connection record carries: a process (pid or executable), byte counts, real HTTP fields. */
export function coverageOf(record: ReadonlyPipelineRecord): {
  readonly process: boolean;
  readonly bytes: boolean;
  readonly http: boolean;
} {
  const a = record.attributes;
  return {
    process: present(a, HAS_PROCESS_KEYS),
    bytes: present(a, BYTES_KEYS),
    http: present(a, HTTP_KEYS),
  };
}
