/**
 * The grouping key of a flow and the attributes the flow record copies from its first connection.
 *
 * The default key is host and process identity: the executable path (stable across restarts and pids), else the
 * executable name, else `pid:<pid>`, else `unattributed`, plus the container id when there is one (the same path in
 * two containers is two programs). The key is written as compact JSON so that it is readable and unambiguous.
 */
import {
  AttributionAttr,
  NetworkAttr,
  ProcessAttr,
  ResourceAttr,
  get,
  getString,
  type PipelineRecord,
  type ReadonlyRecordAttributes,
  type RecordAttributes,
} from '@egressguard/schema';

/** Process attributes a flow copies from its first connection, as far as they are present. */
export const CARRIED_PROCESS_ATTRIBUTES: readonly string[] = [
  ProcessAttr.EXECUTABLE_PATH,
  ProcessAttr.EXECUTABLE_NAME,
  ProcessAttr.COMMAND_LINE,
  ProcessAttr.USER_ID,
  ProcessAttr.OWNER,
  ProcessAttr.CONTAINER_ID,
  ProcessAttr.EXECUTABLE_SHA256,
  ProcessAttr.EXECUTABLE_DELETED,
  AttributionAttr.METHOD,
];

/** Attributes a flow keyed with its destination copies. */
const DESTINATION_ATTRIBUTES: readonly string[] = [
  NetworkAttr.DESTINATION_ADDRESS,
  NetworkAttr.DESTINATION_PORT,
  NetworkAttr.SERVER_ADDRESS,
];

/** The identity used when nothing attributed the connection to a process. */
export const UNATTRIBUTED = 'unattributed';

/** What the key is made of. */
export interface KeyOptions {
  readonly includeDestination: boolean;
  readonly attributes: readonly string[];
}

/** The process identity of a connection record. */
export function processIdentity(attrs: ReadonlyRecordAttributes): string {
  const path = getString(attrs, ProcessAttr.EXECUTABLE_PATH);
  if (path !== undefined) return path;
  const name = getString(attrs, ProcessAttr.EXECUTABLE_NAME);
  if (name !== undefined) return name;
  const pid = get(attrs, ProcessAttr.PID);
  return pid !== undefined ? `pid:${pid}` : UNATTRIBUTED;
}

function keyValue(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  return JSON.stringify(value);
}

/** The key of a connection record of host `host`; `destination` is the `address:port` text, when known. */
export function flowKey(
  record: PipelineRecord,
  host: string,
  destination: string | undefined,
  options: KeyOptions,
): string {
  const attrs = record.attributes;
  // Built as JSON text directly: this runs once per connection, and an object plus JSON.stringify costs twice as much.
  let key = `{"${ResourceAttr.HOST_NAME}":${JSON.stringify(host)},"process":${JSON.stringify(processIdentity(attrs))}`;
  const container = getString(attrs, ProcessAttr.CONTAINER_ID);
  if (container !== undefined) key += `,"${ProcessAttr.CONTAINER_ID}":${JSON.stringify(container)}`;
  if (options.includeDestination) key += `,"destination":${JSON.stringify(destination ?? null)}`;
  for (const name of options.attributes)
    key += `,${JSON.stringify(name)}:${JSON.stringify(keyValue(attrs[name]))}`;
  return `${key}}`;
}

/** The key of the overflow flow of a host: one per host and window. */
export function overflowKey(host: string): string {
  return JSON.stringify({ [ResourceAttr.HOST_NAME]: host, overflow: true });
}

/** The attributes a flow copies from the first connection of its key. */
export function carriedAttributes(record: PipelineRecord, options: KeyOptions): RecordAttributes {
  const attrs = record.attributes;
  const out: RecordAttributes = {};
  const copy = (name: string) => {
    const value = attrs[name];
    if (value !== undefined && value !== null) out[name] = value;
  };
  CARRIED_PROCESS_ATTRIBUTES.forEach(copy);
  // A pid is only the flow's identity when nothing better was known; then the flow says which pid.
  if (
    getString(attrs, ProcessAttr.EXECUTABLE_PATH) === undefined &&
    getString(attrs, ProcessAttr.EXECUTABLE_NAME) === undefined
  ) {
    copy(ProcessAttr.PID);
  }
  if (options.includeDestination) DESTINATION_ATTRIBUTES.forEach(copy);
  options.attributes.forEach(copy);
  return out;
}
