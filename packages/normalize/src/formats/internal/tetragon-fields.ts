/**
 * What is read from one Tetragon event: the process attributes of its `process` object and the 5-tuple of a
 * connect, close or `tcp_*` kprobe (with the socket cookie as the key that pairs them).
 */
import { NetworkAttr, ProcessAttr, ProvenanceAttr, parseAddress } from '@egressguard/schema';

import { int, intOf, obj, str, type JsonObject } from '../../internal/json-input.ts';
import { baseName } from '../../internal/record-builder.ts';

/** The `egressguard.source.format` value of Tetragon records. */
export const TETRAGON_SOURCE_FORMAT = 'tetragon';

/** Attributes as the parser builds them; undefined values are left out of records. */
export type Attrs = Record<string, string | number | boolean | undefined>;

/** A connection's 5-tuple attributes and the key that pairs its connect and close. */
export interface Tuple {
  readonly attrs: Attrs;
  readonly key: string;
}

/** Strips the runtime prefix Tetragon keeps on container ids (`containerd://…`, `docker://…`, `cri-o://…`). */
function containerId(process: JsonObject): string | undefined {
  const id = str(obj(obj(process, 'pod'), 'container'), 'id');
  if (id !== undefined) return id.replace(/^[a-z-]+:\/\//, '');
  return str(process, 'docker');
}

/** The process attributes of a Tetragon `process` object (and its `parent`). */
export function processAttributes(process: JsonObject, parent: JsonObject | undefined): Attrs {
  const binary = str(process, 'binary');
  const args = str(process, 'arguments');
  const euid = int(obj(process, 'process_credentials'), 'euid');
  return {
    [ProcessAttr.PID]: int(process, 'pid'),
    [ProcessAttr.PARENT_PID]: int(parent, 'pid'),
    [ProcessAttr.EXECUTABLE_PATH]: binary,
    [ProcessAttr.EXECUTABLE_NAME]: baseName(binary),
    // Tetragon's `arguments` leaves out argv[0]; the binary stands in for it.
    [ProcessAttr.COMMAND_LINE]:
      binary !== undefined ? (args !== undefined ? `${binary} ${args}` : binary) : args,
    [ProcessAttr.USER_ID]: euid ?? int(process, 'uid'),
    [ProcessAttr.OWNER]: str(obj(process, 'user'), 'name'),
    [ProcessAttr.CREATION_TIME]: str(process, 'start_time'),
    [ProcessAttr.CONTAINER_ID]: containerId(process),
    [ProvenanceAttr.SOURCE_FORMAT]: TETRAGON_SOURCE_FORMAT,
    [ProvenanceAttr.SOURCE_ID]: str(process, 'exec_id'),
  };
}

function tupleOf(
  saddrText: string | undefined,
  sport: number | undefined,
  daddrText: string | undefined,
  dport: number | undefined,
  protocol: string | undefined,
  cookie: string | undefined,
  proc: Attrs,
): Tuple | string {
  const daddr = parseAddress(daddrText ?? '');
  if (!daddr) return `destination address ${JSON.stringify(daddrText ?? '')} is not an IP address`;
  if (dport === undefined) return 'no destination port';
  const saddr = saddrText !== undefined ? parseAddress(saddrText) : undefined;
  const p = protocol?.toLowerCase().replace(/^ipproto_/, '');
  const owner = String(proc[ProvenanceAttr.SOURCE_ID] ?? proc[ProcessAttr.PID] ?? '');
  return {
    key:
      cookie !== undefined && cookie !== '0'
        ? `cookie:${cookie}`
        : `${owner}|${saddr?.address ?? ''}|${sport ?? ''}|${daddr.address}|${dport}`,
    attrs: {
      [NetworkAttr.TRANSPORT]: p === 'tcp' || p === 'udp' ? p : undefined,
      [NetworkAttr.TYPE]: daddr.type,
      [NetworkAttr.SOURCE_ADDRESS]: saddr?.address,
      [NetworkAttr.SOURCE_PORT]: sport,
      [NetworkAttr.DESTINATION_ADDRESS]: daddr.address,
      [NetworkAttr.DESTINATION_PORT]: dport,
    },
  };
}

/** The 5-tuple of a kprobe's `sock_arg`. */
export function sockTuple(sock: JsonObject, proc: Attrs): Tuple | string {
  const t = tupleOf(
    str(sock, 'saddr'),
    int(sock, 'sport'),
    str(sock, 'daddr'),
    int(sock, 'dport'),
    str(sock, 'protocol') ?? 'IPPROTO_TCP',
    str(sock, 'cookie'),
    proc,
  );
  return t;
}

/** The 5-tuple of a connect or close event (a `socket` object or flat keys on the event). */
export function flatTuple(socket: JsonObject, proc: Attrs): Tuple | string {
  return tupleOf(
    str(socket, 'source_ip') ?? str(socket, 'saddr'),
    int(socket, 'source_port') ?? int(socket, 'sport'),
    str(socket, 'destination_ip') ?? str(socket, 'daddr'),
    int(socket, 'destination_port') ?? int(socket, 'dport'),
    str(socket, 'protocol'),
    str(socket, 'cookie'),
    proc,
  );
}

/** The size of a `tcp_sendmsg` call from its second kprobe argument (`int_arg`, `size_arg`, …). */
export function sizeArg(arg: JsonObject): number | undefined {
  for (const key of ['int_arg', 'size_arg', 'uint_arg', 'long_arg', 'ulong_arg']) {
    const n = intOf(arg[key]);
    if (n !== undefined && n >= 0) return n;
  }
  return undefined;
}
