/**
 * IP addresses as the schema writes them: IPv4 dotted quads, IPv6 in the RFC 5952 canonical text form, and
 * IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) written as the IPv4 address they carry, because that is what goes on
 * the wire and what other sensors (Zeek, ss, tcplife) report for the same connection.
 */
import { isIP } from 'node:net';

/** An address and the `network.type` it implies. */
export interface NetworkAddress {
  readonly address: string;
  readonly type: 'ipv4' | 'ipv6';
}

/** Four bytes at `offset` as a dotted quad. */
export function ipv4FromBytes(bytes: Uint8Array, offset = 0): string {
  return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`;
}

/** Sixteen bytes at `offset` as an address; IPv4-mapped addresses come back as IPv4. */
export function ipv6FromBytes(bytes: Uint8Array, offset = 0): NetworkAddress {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push((bytes[offset + 2 * i] << 8) | bytes[offset + 2 * i + 1]);
  if (
    groups[0] === 0 &&
    groups[1] === 0 &&
    groups[2] === 0 &&
    groups[3] === 0 &&
    groups[4] === 0 &&
    groups[5] === 0xffff
  ) {
    return { address: ipv4FromBytes(bytes, offset + 12), type: 'ipv4' };
  }
  return { address: formatIpv6Groups(groups), type: 'ipv6' };
}

/** RFC 5952 section 4: lowercase hex, no leading zeros, the longest run (2 or more) of zero groups as `::`. */
function formatIpv6Groups(groups: readonly number[]): string {
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestLen < 2) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/**
 * Reads an address a sensor wrote as text (Tetragon, Falco, Sysmon): validates it, strips IPv6 brackets and zone,
 * writes IPv6 canonically and IPv4-mapped addresses as IPv4. `undefined` when the text is not an IP address.
 */
export function parseIpText(text: string): NetworkAddress | undefined {
  let t = text.trim();
  if (t.startsWith('[') && t.endsWith(']')) t = t.slice(1, -1);
  const zone = t.indexOf('%');
  if (zone !== -1) t = t.slice(0, zone);
  const kind = isIP(t);
  if (kind === 4) return { address: t, type: 'ipv4' };
  if (kind !== 6) return undefined;
  const bytes = ipv6TextToBytes(t);
  return bytes ? ipv6FromBytes(bytes) : undefined;
}

function ipv6TextToBytes(text: string): Uint8Array | undefined {
  let t = text.toLowerCase();
  const tail: number[] = [];
  const lastColon = t.lastIndexOf(':');
  const maybeV4 = t.slice(lastColon + 1);
  if (maybeV4.includes('.')) {
    const parts = maybeV4.split('.').map(Number);
    tail.push((parts[0] << 8) | parts[1], (parts[2] << 8) | parts[3]);
    t = `${t.slice(0, lastColon + 1)}0`;
    if (t.endsWith('::0')) t = t.slice(0, -1);
    else t = t.slice(0, -2);
  }
  const [head, rest] = t.includes('::') ? t.split('::') : [t, undefined];
  const parse = (s: string | undefined) =>
    s
      ? s
          .split(':')
          .filter((g) => g !== '')
          .map((g) => parseInt(g, 16))
      : [];
  const left = parse(head);
  const right = parse(rest).concat(tail);
  const fill = 8 - left.length - right.length;
  if (fill < 0 || (rest === undefined && fill !== 0)) return undefined;
  const groups = [...left, ...new Array<number>(rest === undefined ? 0 : fill).fill(0), ...right];
  if (groups.length !== 8 || groups.some((g) => !Number.isInteger(g) || g < 0 || g > 0xffff))
    return undefined;
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    bytes[2 * i] = g >> 8;
    bytes[2 * i + 1] = g & 0xff;
  });
  return bytes;
}
