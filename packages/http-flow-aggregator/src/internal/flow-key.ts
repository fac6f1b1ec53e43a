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
  attributeDictionaryMaker,
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

/** The start of every key: host and process identity, as JSON text without the closing brace. */
function keyStart(host: string, identity: string): string {
  return `{"${ResourceAttr.HOST_NAME}":${JSON.stringify(host)},"process":${JSON.stringify(identity)}`;
}

/** The key of host `host` and process identity `identity` alone (no container, destination or further attributes). */
export function processKey(host: string, identity: string): string {
  return `${keyStart(host, identity)}}`;
}

/** The key of a connection record of host `host`; `destination` is the `address:port` text, when known. */
export function flowKey(
  record: PipelineRecord,
  host: string,
  destination: string | undefined,
  options: KeyOptions,
): string {
  const attrs = record.attributes;
  let key = keyStart(host, processIdentity(attrs));
  const container = getString(attrs, ProcessAttr.CONTAINER_ID);
  if (container !== undefined) key += `,"${ProcessAttr.CONTAINER_ID}":${JSON.stringify(container)}`;
  if (options.includeDestination) key += `,"destination":${JSON.stringify(destination ?? null)}`;
  for (const name of options.attributes)
    key += `,${JSON.stringify(name)}:${JSON.stringify(keyValue(attrs[name]))}`;
  return `${key}}`;
}

/** True when a flow id is the key's JSON text rather than a process identity: it begins with `{`. */
export function isKeyText(id: string): boolean {
  return id.charCodeAt(0) === 123;
}

/**
 * The name of a connection's flow within its host's window group, without building the key text when it need not:
 * the process identity itself when the key is host and identity alone (the default key, no container id) and the
 * identity does not begin with `{`; else the key's JSON text ({@link flowKey}), which always begins with `{`. So the
 * two never meet, and a flow's key text follows from its id and host (`Flow.key`). The identity is mostly a string
 * the record already holds (its executable path or name): no text is built and hashed per connection, and the flow
 * holds no second copy of it beside its carried attributes.
 */
export function flowId(
  record: PipelineRecord,
  host: string,
  connection: { readonly destinationText: string | undefined },
  options: KeyOptions,
): string {
  const attrs = record.attributes;
  if (
    !options.includeDestination &&
    options.attributes.length === 0 &&
    getString(attrs, ProcessAttr.CONTAINER_ID) === undefined
  ) {
    const identity = processIdentity(attrs);
    if (!isKeyText(identity)) return identity;
  }
  return flowKey(record, host, connection.destinationText, options);
}

/** The id (see {@link flowId}) of a flow of host `host` whose key text is `key`, as a snapshot carries it. */
export function flowIdOfKey(key: string, host: string): string {
  const start = keyStart(host, '');
  const prefix = start.slice(0, start.length - 2);
  if (!key.startsWith(prefix) || !key.endsWith('}')) return key;
  let identity: unknown;
  try {
    identity = JSON.parse(key.slice(prefix.length, -1));
  } catch {
    return key;
  }
  return typeof identity === 'string' && !isKeyText(identity) && processKey(host, identity) === key
    ? identity
    : key;
}

/** The key of the overflow flow of a host: one per host and window. */
export function overflowKey(host: string): string {
  return JSON.stringify({ [ResourceAttr.HOST_NAME]: host, overflow: true });
}

/**
 * The carried attributes' dictionaries: one per flow, held while the flow is, each sized by V8 to what the first flows'
 * held (`attributeDictionaryMaker` without room), where a literal `{}` keeps room for four.
 */
const newCarried = attributeDictionaryMaker();

/** The attributes a flow copies from the first connection of its key. */
export function carriedAttributes(record: PipelineRecord, options: KeyOptions): RecordAttributes {
  const attrs = record.attributes;
  const out = newCarried();
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
