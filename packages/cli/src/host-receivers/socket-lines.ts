/**
 * Lines from a UNIX stream socket that a daemon writes to (auditd's dispatcher, af_unix plugin): connects,
 * reconnects with a growing back-off when the daemon closes it, and keeps the complete lines until read. What
 * waits is bounded: past the bound the newest lines are dropped and counted, since the daemon cannot be paused.
 */
import { connect, type Socket } from 'node:net';

/** Options of {@link SocketLines}. */
export interface SocketLinesOptions {
  readonly path: string;
  /** Lines longer than this are skipped and reported through `onLongLine`. */
  readonly maxLineBytes: number;
  /** Lines kept until read at most. */
  readonly maxBufferedLines: number;
  readonly onLongLine: (bytes: number) => void;
  /** The connection was lost (or could not be made again); the reader retries on its own. */
  readonly onDisconnect: (reason: string) => void;
}

const MIN_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 30_000;

/** A reconnecting line reader of a UNIX socket. */
export class SocketLines {
  private readonly options: SocketLinesOptions;
  private socket: Socket | undefined;
  private lines: string[] = [];
  private partial = '';
  private skipping = false;
  private closed = false;
  private backoffMs = MIN_BACKOFF_MS;
  private retry: NodeJS.Timeout | undefined;
  /** Lines dropped because too many waited, and reconnections made. */
  dropped = 0;
  reconnects = 0;

  constructor(options: SocketLinesOptions) {
    this.options = options;
  }

  /** Connects; rejects when the socket cannot be reached the first time (naming it). */
  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = connect(this.options.path);
      socket.once('connect', () => {
        this.attach(socket);
        resolve();
      });
      socket.once('error', (error) => {
        if (!this.socket) reject(new Error(`cannot connect to ${this.options.path}: ${error.message}`));
      });
    });
  }

  /** The complete lines received since the last call. */
  read(): string[] {
    const out = this.lines;
    this.lines = [];
    return out;
  }

  /** Closes the connection and stops reconnecting. */
  close(): void {
    this.closed = true;
    clearTimeout(this.retry);
    this.socket?.destroy();
  }

  private attach(socket: Socket): void {
    this.socket = socket;
    this.backoffMs = MIN_BACKOFF_MS;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.split(chunk));
    socket.on('error', () => undefined);
    socket.once('close', () => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.partial = '';
      this.skipping = false;
      if (this.closed) return;
      this.options.onDisconnect(`${this.options.path} closed; reconnecting in ${this.backoffMs} ms`);
      this.schedule();
    });
  }

  private schedule(): void {
    this.retry = setTimeout(() => {
      const socket = connect(this.options.path);
      socket.once('connect', () => {
        this.reconnects++;
        this.attach(socket);
      });
      socket.once('error', (error) => {
        if (this.socket === socket || this.closed) return;
        this.backoffMs = Math.min(this.backoffMs * 2, MAX_BACKOFF_MS);
        this.options.onDisconnect(
          `cannot connect to ${this.options.path} (${error.message}); retrying in ${this.backoffMs} ms`,
        );
        this.schedule();
      });
    }, this.backoffMs);
  }

  private split(chunk: string): void {
    let start = 0;
    for (let i = chunk.indexOf('\n'); i !== -1; i = chunk.indexOf('\n', start)) {
      const piece = chunk.slice(start, i);
      start = i + 1;
      if (this.skipping) {
        this.skipping = false;
        this.partial = '';
        continue;
      }
      const line = this.partial + piece;
      this.partial = '';
      if (Buffer.byteLength(line) > this.options.maxLineBytes)
        this.options.onLongLine(Buffer.byteLength(line));
      else this.keep(line);
    }
    if (this.skipping) return;
    this.partial += chunk.slice(start);
    if (Buffer.byteLength(this.partial) > this.options.maxLineBytes) {
      this.options.onLongLine(Buffer.byteLength(this.partial));
      this.partial = '';
      this.skipping = true;
    }
  }

  private keep(line: string): void {
    if (this.lines.length >= this.options.maxBufferedLines) this.dropped++;
    else this.lines.push(line);
  }
}
