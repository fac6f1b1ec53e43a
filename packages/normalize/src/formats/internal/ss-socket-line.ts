/**
 * One socket of `ss -t` output (iproute2's `misc/ss.c`): the socket line (`[Netid] [State] Recv-Q Send-Q
 * Local:Port Peer:Port [Process] [extras]`), plus the `key:value` items of its `-i` info (on the following
 * TAB-indented line, or on the same line with `-O`) and of `-e` (`ino:`, `sk:`, `uid:`, `cgroup:`).
 */

/** A process that holds the socket, from `users:(("curl",pid=1234,fd=5),…)`. */
export interface SsUser {
  readonly name: string;
  readonly pid: number;
  readonly fd: number;
}

/** An address and port as ss prints them, the address normalised (brackets, zone and `::ffff:` removed). */
export interface SsEndpoint {
  readonly address: string;
  /** Undefined for `*` (a listener's unspecified port or peer). */
  readonly port: number | undefined;
}

/** One parsed socket line (with its info items once they are merged in). */
export interface SsSocket {
  readonly netid: string | undefined;
  /** Undefined when the output has no State column (`ss … state established` omits it). */
  readonly state: string | undefined;
  readonly local: SsEndpoint;
  readonly peer: SsEndpoint;
  readonly users: readonly SsUser[];
  /** `key:value` items: `ino`, `bytes_acked`, `bytes_received`, `rto`, … */
  readonly items: Map<string, string>;
  /** Bare words of the info (`bbr`, `ts`, `sack`, `app_limited`, …); their presence says `-i` was given. */
  readonly words: Set<string>;
}

/** The state names ss prints (`sstate_name` in ss.c). */
export const SS_STATES = new Set([
  'UNCONN',
  'ESTAB',
  'SYN-SENT',
  'SYN-RECV',
  'FIN-WAIT-1',
  'FIN-WAIT-2',
  'TIME-WAIT',
  'CLOSE-WAIT',
  'LAST-ACK',
  'LISTEN',
  'CLOSING',
  'CLOSED',
  'UNKNOWN',
]);

const NETIDS = new Set([
  'tcp',
  'mptcp',
  'udp',
  'raw',
  'u_str',
  'u_dgr',
  'u_seq',
  'p_raw',
  'p_dgr',
  'nl',
  'sctp',
  'tipc',
  'v_str',
  'v_dgr',
  'xdp',
]);

/**
 * Port names ss prints when run without `-n` (it resolves services by default), for the ports HTTP clients use;
 * other names are reported as errors asking for `-n`.
 */
const SERVICE_PORTS: Readonly<Record<string, number>> = {
  http: 80,
  https: 443,
  'http-alt': 8080,
  webcache: 8080,
  socks: 1080,
  squid: 3128,
  ssh: 22,
  domain: 53,
  'domain-s': 853,
  ftp: 21,
  smtp: 25,
  submission: 587,
  imaps: 993,
  pop3s: 995,
};

/** Splits on blanks outside double quotes and parentheses (process names may contain spaces). */
export function ssTokens(line: string): string[] {
  const tokens: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = -1;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
      continue;
    }
    if (c === ' ' || c === '\t') {
      if (depth === 0 && start !== -1) {
        tokens.push(line.slice(start, i));
        start = -1;
      }
      continue;
    }
    if (start === -1) start = i;
    if (c === '"') quoted = true;
    else if (c === '(') depth++;
    else if (c === ')') depth = Math.max(0, depth - 1);
  }
  if (start !== -1) tokens.push(line.slice(start));
  return tokens;
}

const USER = /\("((?:[^"\\]|\\.)*)",pid=(\d+),fd=(\d+)\)/g;

/** The processes of a `users:((…),(…))` item, in the order ss lists them. */
export function parseUsers(token: string): SsUser[] {
  const users: SsUser[] = [];
  for (const m of token.matchAll(USER)) {
    users.push({ name: (m[1] ?? '').replace(/\\(.)/g, '$1'), pid: Number(m[2]), fd: Number(m[3]) });
  }
  return users;
}

/** Parses `127.0.0.1:80`, `[::1]:8080`, `[fe80::1]%eth0:22`, `*:*`, `0.0.0.0:http`; a string is an error. */
export function parseEndpoint(text: string): SsEndpoint | string {
  const colon = text.lastIndexOf(':');
  if (colon <= 0) return `address ${text}: no port`;
  let host = text.slice(0, colon);
  const portText = text.slice(colon + 1);
  const zone = host.indexOf('%');
  if (zone !== -1) host = host.slice(0, zone);
  if (host.startsWith('[')) host = host.slice(1);
  if (host.endsWith(']')) host = host.slice(0, -1);
  if (host.toLowerCase().startsWith('::ffff:') && /^\d{1,3}(\.\d{1,3}){3}$/.test(host.slice(7)))
    host = host.slice(7);
  let port: number | undefined;
  if (portText === '*') port = undefined;
  else if (/^\d{1,5}$/.test(portText) && Number(portText) <= 65535) port = Number(portText);
  else if (SERVICE_PORTS[portText] !== undefined) port = SERVICE_PORTS[portText];
  else return `address ${text}: port ${portText} is a service name; run ss with -n`;
  return { address: host, port };
}

/** Adds the `key:value` items and bare words of info tokens to a socket. */
export function addInfo(socket: SsSocket, tokens: readonly string[]): void {
  for (const t of tokens) {
    const colon = t.indexOf(':');
    if (colon > 0) {
      const key = t.slice(0, colon);
      // The first occurrence wins: `-e` items precede the info, and the info repeats no key that matters here.
      if (!socket.items.has(key)) socket.items.set(key, t.slice(colon + 1));
    } else {
      socket.words.add(t);
    }
  }
}

/** What the columns before the addresses are, learnt from the header or the first socket line. */
export interface SsColumns {
  netid: boolean;
  state: boolean;
}

/** Reads the column layout from a header line (`State Recv-Q …`, `Netid State …`, `Recv-Q Send-Q …`). */
export function headerColumns(line: string): SsColumns | undefined {
  const t = line.trim();
  if (!/\bRecv-Q\b/.test(t) || !/\bSend-Q\b/.test(t)) return undefined;
  return { netid: t.startsWith('Netid'), state: /^(Netid\s+)?State\b/.test(t) };
}

/** Parses a socket line; a string is an error. */
export function parseSocketLine(line: string): SsSocket | string {
  const tokens = ssTokens(line);
  let i = 0;
  let netid: string | undefined;
  if (NETIDS.has(tokens[i] ?? '')) netid = tokens[i++];
  let state: string | undefined;
  if (SS_STATES.has(tokens[i] ?? '')) state = tokens[i++];
  const recvQ = tokens[i++];
  const sendQ = tokens[i++];
  if (recvQ === undefined || sendQ === undefined || !/^\d+$/.test(recvQ) || !/^\d+$/.test(sendQ)) {
    return 'socket line: Recv-Q and Send-Q expected after the state';
  }
  const localText = tokens[i++];
  const peerText = tokens[i++];
  if (localText === undefined || peerText === undefined)
    return 'socket line: local and peer addresses missing';
  const local = parseEndpoint(localText);
  if (typeof local === 'string') return `local ${local}`;
  const peer = parseEndpoint(peerText);
  if (typeof peer === 'string') return `peer ${peer}`;
  const socket: SsSocket = { netid, state, local, peer, users: [], items: new Map(), words: new Set() };
  const rest: string[] = [];
  let users: SsUser[] = [];
  for (const t of tokens.slice(i)) {
    if (t.startsWith('users:(')) users = parseUsers(t);
    else rest.push(t);
  }
  addInfo(socket, rest);
  return { ...socket, users };
}
