/**
 * The one text form of an IP address in records: IPv4 as a dotted quad, IPv6 in the RFC 5952 canonical form
 * (lowercase, no leading zeros, the longest run of two or more zero groups as `::`), and IPv4-mapped IPv6 addresses
 * (`::ffff:a.b.c.d`) as the IPv4 address they carry, because that is what goes on the wire and what other sensors
 * (Zeek, ss, tcplife) report for the same connection. Brackets and an IPv6 zone (`%eth0`) are not part of it.
 * `normalize` writes addresses this way, so later stages compare them as they are; input that did not come through
 * `normalize` (OTLP from another agent, `/proc/net/tcp6`) is put in the same form with these functions.
 */
import ipaddr from 'ipaddr.js';

/** An address in the canonical form and the `network.type` it implies. */
export interface CanonicalAddress {
  readonly address: string;
  readonly type: 'ipv4' | 'ipv6';
}

function fromParsed(parsed: ipaddr.IPv4 | ipaddr.IPv6): CanonicalAddress {
  if (parsed.kind() === 'ipv4') return { address: parsed.toString(), type: 'ipv4' };
  const v6 = parsed as ipaddr.IPv6;
  if (v6.isIPv4MappedAddress()) return { address: v6.toIPv4Address().toString(), type: 'ipv4' };
  return { address: v6.toRFC5952String(), type: 'ipv6' };
}

/** Four decimal octets 0..255 without leading zeros: an IPv4 address already in the canonical form. */
const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const CANONICAL_IPV4 = new RegExp(`^${OCTET}(?:\\.${OCTET}){3}$`);

/**
 * Reads an address written as text: surrounding space, IPv6 brackets and zone are dropped; IPv4 must be four
 * decimal parts. `undefined` when the text is not an IP address.
 */
export function parseAddress(text: string): CanonicalAddress | undefined {
  let t = text.trim();
  if (t.startsWith('[') && t.endsWith(']')) t = t.slice(1, -1);
  const zone = t.indexOf('%');
  if (zone !== -1) t = t.slice(0, zone);
  if (!t.includes(':')) {
    // Most addresses are already a canonical dotted quad (normalize wrote them): kept as they are, unparsed.
    if (CANONICAL_IPV4.test(t)) return { address: t, type: 'ipv4' };
    return ipaddr.IPv4.isValidFourPartDecimal(t) ? fromParsed(ipaddr.IPv4.parse(t)) : undefined;
  }
  if (!ipaddr.IPv6.isValid(t)) return undefined;
  return fromParsed(ipaddr.IPv6.parse(embeddedIpv4AsHex(t)));
}

/**
 * `::1.2.3.4` with its IPv4 part as two hex groups (`::102:304`): ipaddr.js reads any embedded IPv4 part as
 * IPv4-mapped, which only `::ffff:a.b.c.d` is.
 */
function embeddedIpv4AsHex(text: string): string {
  const colon = text.lastIndexOf(':');
  const tail = text.slice(colon + 1);
  if (!tail.includes('.')) return text;
  const [a, b, c, d] = tail.split('.').map(Number);
  return `${text.slice(0, colon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
}

/** The canonical form of an address written as text, or `undefined` when it is not an IP address. */
export function canonicalAddress(text: string): string | undefined {
  return parseAddress(text)?.address;
}

/** The canonical form of 4 (IPv4) or 16 (IPv6) address bytes in network order, from `offset`. */
export function addressFromBytes(bytes: Uint8Array, length: 4 | 16 = 16, offset = 0): CanonicalAddress {
  return fromParsed(ipaddr.fromByteArray([...bytes.subarray(offset, offset + length)]));
}
