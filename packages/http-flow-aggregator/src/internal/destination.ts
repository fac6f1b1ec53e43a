/**
 * Destinations as numbers. The usual destination, a canonical dotted quad with a port (`203.0.113.7:443`), is one
 * number below 2^49: the address times 2^17 plus the port plus one (0 when there is no port). A connection's
 * destination is then read without building its text, logged in one number, and counted as distinct without its text
 * held. Every other destination (IPv6, a name, a quad with leading zeros, a port outside 0..65535)
 * stays text. The packing is exact both ways: a packed destination's text is the text it was packed from.
 */

/** The factor of the address in a packed destination: 2^17, room for the port plus one. */
const PORT_SPAN = 131_072;

/** The address as an unsigned 32-bit number when it is a canonical dotted quad (no leading zeros), else -1. */
export function ipv4Number(text: string): number {
  const length = text.length;
  if (length < 7 || length > 15) return -1;
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && part === 0) return -1;
      part = part * 10 + (c - 48);
      if (part > 255) return -1;
      digits++;
    } else {
      return -1;
    }
  }
  return dots === 3 && digits > 0 ? value * 256 + part : -1;
}

/**
 * The destination of an address read by {@link ipv4Number} (`ip`, -1 when it was no dotted quad) and `port` packed
 * into a number, or -1 when it does not pack (see the module comment); its text is what {@link destinationText}
 * makes of the same address and port.
 */
export function packAddress(ip: number, port: number | undefined): number {
  if (ip < 0) return -1;
  if (port === undefined) return ip * PORT_SPAN;
  return Number.isInteger(port) && port >= 0 && port <= 65_535 ? ip * PORT_SPAN + port + 1 : -1;
}

/** The text of a packed destination: `a.b.c.d:port`, or `a.b.c.d` when it had no port. */
export function unpackDestination(packed: number): string {
  const ip = Math.floor(packed / PORT_SPAN);
  const portPlusOne = packed - ip * PORT_SPAN;
  const quad = `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}`;
  return portPlusOne === 0 ? quad : `${quad}:${portPlusOne - 1}`;
}

/** A destination text (as {@link destinationText} writes it) packed, or -1 when it does not pack. */
export function packDestinationText(text: string): number {
  const colon = text.indexOf(':');
  const packed =
    colon === -1
      ? packAddress(ipv4Number(text), undefined)
      : packAddress(ipv4Number(text.slice(0, colon)), Number(text.slice(colon + 1)));
  // A port written otherwise than a number prints (`:0443`, `:+1`) stays text: the packing must give it back as it was.
  return packed >= 0 && unpackDestination(packed) === text ? packed : -1;
}

/** `address:port`, with IPv6 addresses in brackets as in URLs. */
export function destinationText(address: string, port: number | undefined): string {
  const host = address.includes(':') && !address.startsWith('[') ? `[${address}]` : address;
  return port === undefined ? host : `${host}:${port}`;
}
