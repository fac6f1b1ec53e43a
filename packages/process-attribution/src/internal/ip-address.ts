/**
 * One canonical text form per IP address, so that addresses from sensors (`::ffff:10.0.0.1`, `fe80::1%eth0`,
 * `2001:DB8::1`) and from `/proc/net/tcp6` compare equal: IPv4 as dotted quad, IPv4-mapped IPv6 as the IPv4 address,
 * other IPv6 as eight lowercase four-digit groups.
 */

/** The canonical form of an address, or `undefined` when it is not an IP address. */
export function canonicalAddress(address: string): string | undefined {
  if (!address.includes(':')) return isIpv4(address) ? address : undefined;
  const zone = address.indexOf('%');
  let text = (zone === -1 ? address : address.slice(0, zone)).toLowerCase();
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
  let tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  const last = text.slice(lastColon + 1);
  if (last.includes('.')) {
    if (!isIpv4(last)) return undefined;
    const q = last.split('.').map(Number) as [number, number, number, number];
    tail = [(q[0] << 8) | q[1], (q[2] << 8) | q[3]];
    // Keep a '::' that precedes the IPv4 part; drop a single ':' separator.
    text = text.slice(0, lastColon + 1);
    if (!text.endsWith('::')) text = text.slice(0, -1);
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parse = (s: string): number[] | undefined => {
    if (s === '') return [];
    const groups = s.split(':').map((g) => (/^[0-9a-f]{1,4}$/.test(g) ? parseInt(g, 16) : Number.NaN));
    return groups.some(Number.isNaN) ? undefined : groups;
  };
  const head = parse(halves[0]);
  const rest = halves.length === 2 ? parse(halves[1]) : [];
  if (!head || !rest) return undefined;
  const known = head.length + rest.length + tail.length;
  if (halves.length === 1 ? known !== 8 : known > 7) return undefined;
  const groups = [...head, ...new Array<number>(8 - known).fill(0), ...rest, ...tail];
  return fromGroups(groups);
}

/** The canonical form of 16 address bytes in network order. */
export function canonicalFromBytes(bytes: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i] << 8) | bytes[i + 1]);
  return fromGroups(groups);
}

function fromGroups(groups: readonly number[]): string {
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const a = groups[6];
    const b = groups[7];
    return `${a >> 8}.${a & 0xff}.${b >> 8}.${b & 0xff}`;
  }
  return groups.map((g) => g.toString(16).padStart(4, '0')).join(':');
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function isIpv4(text: string): boolean {
  const m = IPV4.exec(text);
  return m !== null && +m[1] <= 255 && +m[2] <= 255 && +m[3] <= 255 && +m[4] <= 255;
}
