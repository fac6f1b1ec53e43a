/**
 * Sees every outbound TCP connection this Node process opens (`node:http`, `fetch`, database drivers: anything that
 * goes through `net.connect`) through the `net.client.socket` diagnostics channel, and reports each one once, when
 * it closes, with its 5-tuple, bytes, duration and outcome. Requests made with `node:http`/`node:https` are seen
 * too (`http.client.response.finish`), so their connections carry real HTTP fields instead of a port guess.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import type { ClientRequest, IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';

import { Outcome, type OutcomeValue } from '@egressguard/schema';

/** One outbound TCP connection of this process, as observed from inside it. */
export interface ObservedConnection {
  /** When `net.connect` created the socket, in Unix milliseconds. */
  readonly startMs: number;
  readonly durationMs: number;
  readonly sourceAddress?: string;
  readonly sourcePort?: number;
  readonly destinationAddress?: string;
  readonly destinationPort?: number;
  /** Bytes this process wrote to the socket (HTTP headers and bodies; no TCP/IP headers). */
  readonly bytesSent: number;
  /** Bytes this process read from the socket. */
  readonly bytesReceived: number;
  /** `completed` once connected and closed, `failed` when the connection never came up, `open` at shutdown. */
  readonly outcome: OutcomeValue;
  /** The first HTTP exchange on the connection, when it was made with `node:http` or `node:https`. */
  readonly http?: ObservedHttpExchange;
}

/** An HTTP request and its answer, as the `node:http` client saw them. */
export interface ObservedHttpExchange {
  readonly method: string;
  readonly url: string;
  readonly statusCode: number;
}

/** Where an observed connection goes: the destination address and port, when known. */
export type ConnectionFilter = (
  destinationAddress: string | undefined,
  destinationPort: number | undefined,
) => boolean;

const SOCKET_CHANNEL = 'net.client.socket';
const HTTP_CHANNEL = 'http.client.response.finish';

/** What is known of a live socket; the addresses are read at `connect`, since a closed socket no longer has them. */
interface SocketState {
  readonly startMs: number;
  connected: boolean;
  sourceAddress?: string;
  sourcePort?: number;
  destinationAddress?: string;
  destinationPort?: number;
  http?: ObservedHttpExchange;
}

/** Watches this process's outbound TCP connections until {@link ConnectionObserver.stop}. */
export class ConnectionObserver {
  private readonly onConnection: (connection: ObservedConnection) => void;
  private readonly ignore: ConnectionFilter;
  private readonly live = new Map<Socket, SocketState>();
  private readonly socketListener = (message: unknown): void => {
    this.watch((message as { socket: Socket }).socket);
  };
  private readonly httpListener = (message: unknown): void => {
    const { request, response } = message as { request: ClientRequest; response: IncomingMessage };
    const state = this.live.get(request.socket as Socket);
    // The first exchange names the connection, as Zeek's conn.log joined with http.log does.
    if (!state || state.http) return;
    state.http = {
      method: request.method,
      url: `${request.protocol}//${request.host}${request.path}`,
      statusCode: response.statusCode ?? 0,
    };
  };
  private stopped = false;

  /**
   * @param onConnection receives each connection once, when it closes.
   * @param ignore connections for which it returns true are not reported (the agent's own exports: reporting them
   *   would feed every export back into the next one).
   */
  constructor(
    onConnection: (connection: ObservedConnection) => void,
    ignore: ConnectionFilter = () => false,
  ) {
    this.onConnection = onConnection;
    this.ignore = ignore;
    diagnosticsChannel.subscribe(SOCKET_CHANNEL, this.socketListener);
    diagnosticsChannel.subscribe(HTTP_CHANNEL, this.httpListener);
  }

  /** Stops watching; connections still open are reported with outcome `open`. Idempotent. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    diagnosticsChannel.unsubscribe(SOCKET_CHANNEL, this.socketListener);
    diagnosticsChannel.unsubscribe(HTTP_CHANNEL, this.httpListener);
    for (const socket of [...this.live.keys()]) this.report(socket, Outcome.OPEN);
  }

  private watch(socket: Socket): void {
    const state: SocketState = { startMs: Date.now(), connected: false };
    this.live.set(socket, state);
    socket.once('connect', () => {
      state.connected = true;
      state.sourceAddress = socket.localAddress;
      state.sourcePort = socket.localPort;
      state.destinationAddress = socket.remoteAddress;
      state.destinationPort = socket.remotePort;
    });
    // A refused or unreachable connection never gets a remote address on the socket; its error names it.
    socket.once('error', (error: NodeJS.ErrnoException & { address?: string; port?: number }) => {
      state.destinationAddress ??= error.address;
      state.destinationPort ??= error.port;
    });
    socket.once('close', () => this.report(socket, state.connected ? Outcome.COMPLETED : Outcome.FAILED));
  }

  private report(socket: Socket, outcome: OutcomeValue): void {
    const state = this.live.get(socket);
    if (!state) return;
    this.live.delete(socket);
    const { destinationAddress, destinationPort, sourceAddress, sourcePort } = state;
    // A socket with neither is a Unix domain socket (IPC on this machine), not network egress.
    if (destinationAddress === undefined && destinationPort === undefined) return;
    if (this.ignore(destinationAddress, destinationPort)) return;
    this.onConnection({
      startMs: state.startMs,
      durationMs: Date.now() - state.startMs,
      ...(sourceAddress !== undefined ? { sourceAddress } : {}),
      ...(sourcePort !== undefined ? { sourcePort } : {}),
      ...(destinationAddress !== undefined ? { destinationAddress } : {}),
      ...(destinationPort !== undefined ? { destinationPort } : {}),
      bytesSent: socket.bytesWritten,
      bytesReceived: socket.bytesRead,
      outcome,
      ...(state.http ? { http: state.http } : {}),
    });
  }
}
