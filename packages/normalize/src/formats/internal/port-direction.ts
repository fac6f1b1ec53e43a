/**
 * Which side of a TCP connection opened it, guessed from its ports when the sensor does not say (tcplife, and `ss`
 * polls without listening sockets). The guess is the same one the kernel's port allocation makes likely: a client's
 * source port is taken from the ephemeral range (`net.ipv4.ip_local_port_range`, Linux default 32768-60999), while
 * servers listen on a fixed, usually lower, port.
 */

/** An inclusive port range. */
export interface PortRange {
  readonly low: number;
  readonly high: number;
}

/** Linux's default `net.ipv4.ip_local_port_range`. */
export const LINUX_EPHEMERAL_PORTS: PortRange = { low: 32768, high: 60999 };

/** What the ports say about a connection seen from the local socket. */
export type PortDirection = 'outbound' | 'inbound' | 'unknown';

const inRange = (port: number, range: PortRange): boolean => port >= range.low && port <= range.high;

/**
 * Guesses the direction of a connection from its local and remote ports, in this order:
 * 1. exactly one side uses a privileged port (< 1024): that side is the server;
 * 2. exactly one side is in the ephemeral range: that side is the client;
 * 3. otherwise the lower port is the server (Auditbeat's own last resort for flows of unknown direction);
 * 4. equal ports: unknown.
 * It cannot tell a server listening on an ephemeral-range port from a client, nor a client that bound a low port.
 */
export function directionFromPorts(
  localPort: number,
  remotePort: number,
  ephemeral: PortRange,
): PortDirection {
  const localLow = localPort < 1024;
  const remoteLow = remotePort < 1024;
  if (remoteLow && !localLow) return 'outbound';
  if (localLow && !remoteLow) return 'inbound';
  const localEph = inRange(localPort, ephemeral);
  const remoteEph = inRange(remotePort, ephemeral);
  if (localEph && !remoteEph) return 'outbound';
  if (remoteEph && !localEph) return 'inbound';
  if (localPort > remotePort) return 'outbound';
  if (localPort < remotePort) return 'inbound';
  return 'unknown';
}

/** Checks a user-given range; throws naming the option when it is not 0 < low <= high <= 65535. */
export function checkPortRange(range: PortRange, option: string): PortRange {
  const ok =
    Number.isInteger(range.low) &&
    Number.isInteger(range.high) &&
    range.low > 0 &&
    range.low <= range.high &&
    range.high <= 65535;
  if (!ok)
    throw new RangeError(
      `${option}: expected integers 0 < low <= high <= 65535, got ${range.low}-${range.high}`,
    );
  return range;
}
