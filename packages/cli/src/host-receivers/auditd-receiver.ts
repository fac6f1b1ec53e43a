/**
 * The `auditd` receiver: tails the audit log across rotations, or reads auditd's dispatcher socket (af_unix plugin),
 * and reads the lines with normalize's auditd parser (the same records `replay --format auditd` makes). Its position (the log's inode and byte offset) and the parser's open
 * events are saved in the state directory after each hand-over, so a restart goes on where the last run stopped,
 * reading the end of a log rotated meanwhile first. The system's audit rules are left alone unless
 * `rules.install` is set; then exactly the rules this receiver added are removed at stop.
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';

import { FileStateStore, reportError } from '@egressguard/core';
import { createAuditdFormat, type ParserSnapshot, type SensorParser } from '@egressguard/normalize';
import { ProcessAttr, type PipelineRecord } from '@egressguard/schema';

import { DEFAULT_AUDIT_LOG, type AuditdReceiverConfig } from './config.ts';
import { containerIdOf } from './container-id.ts';
import type { HostReceiver, HostReceiverContext } from './host-receiver.ts';
import { LogTail, type TailPosition } from './log-tail.ts';
import { SocketLines } from './socket-lines.ts';

/** Lines read from the dispatcher's socket kept at most while the export queues are full. */
const MAX_BUFFERED_SOCKET_LINES = 100_000;

/** Quiet time after which the events the parser still holds are completed, in milliseconds. */
const IDLE_COMPLETE_MS = 1000;

/** Shortest time between two saves of the position while running, in milliseconds. */
const SAVE_INTERVAL_MS = 1000;

/** What the receiver saves in the state directory. */
interface AuditdReceiverState {
  readonly version: 1;
  readonly path: string;
  readonly position: TailPosition;
  readonly parser?: ParserSnapshot;
}

/** Tails audit.log. */
export class AuditdReceiver implements HostReceiver {
  readonly blindSpots = [
    'No byte counts: auditd sees the connect() call, not what went over the connection.',
    'No outcome for most connections: a non-blocking connect() returns before the answer.',
    'Only what the system’s audit rules log (connect and execve rules are needed).',
  ];
  private readonly config: AuditdReceiverConfig;
  private readonly context: HostReceiverContext;
  private readonly store: FileStateStore<AuditdReceiverState>;
  /** The log, when the source is a file. */
  private readonly tail: LogTail | undefined;
  /** The dispatcher's socket, when the source is a socket. */
  private readonly socket: SocketLines | undefined;
  /** The file or socket read. */
  private readonly path: string;
  private parser: SensorParser;
  /** Counters of parsers ended on idle (their successors start from zero). */
  private readonly retired = new Map<string, number>();
  /** When the last line was read. */
  private lastLineMs = Date.now();
  private readonly tally = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private loop: Promise<void> = Promise.resolve();
  /** Records parsed but not yet taken by the pipelines (kept while the export queues are full). */
  private pending: PipelineRecord[] = [];
  private lineNo = 0;
  private installed: string[][] = [];
  private stopped: Promise<void> | undefined;
  private lastSaveMs = 0;
  private savedAt: TailPosition | undefined;

  constructor(config: AuditdReceiverConfig, context: HostReceiverContext) {
    this.config = config;
    this.context = context;
    this.store = new FileStateStore(
      join(context.stateDirectory, `receiver-${encodeURIComponent(context.id)}.json`),
    );
    this.path = config.source.path;
    const onLongLine = (bytes: number) => {
      this.count('malformed');
      reportError({
        component: `receiver ${context.id}`,
        reason: 'malformed',
        message: `audit line of ${bytes} bytes skipped (max_line_bytes ${config.max_line_bytes})`,
      });
    };
    if (config.source.type === 'file') {
      this.tail = new LogTail({ path: this.path, maxLineBytes: config.max_line_bytes, onLongLine });
    } else {
      this.socket = new SocketLines({
        path: this.path,
        maxLineBytes: config.max_line_bytes,
        maxBufferedLines: MAX_BUFFERED_SOCKET_LINES,
        onLongLine,
        onDisconnect: (reason) =>
          reportError({
            component: `receiver ${context.id}`,
            reason: 'socket_disconnected',
            message: reason,
          }),
      });
    }
    this.parser = this.newParser();
  }

  private newParser(): SensorParser {
    const resource = this.context.resource;
    return createAuditdFormat().createParser({
      defaultResource: resource,
      // The records are this host's: a `node=` prefix names this host, whatever it says.
      resourceFor: () => resource,
    });
  }

  counters(): Readonly<Record<string, number>> {
    return {
      ...Object.fromEntries(this.tally),
      ...sumCounts(this.retired, this.parser.counters?.() ?? {}),
      ...(this.tail ? { rotations_lost: this.tail.lostRotations } : {}),
      ...(this.socket ? { lines_dropped: this.socket.dropped, reconnects: this.socket.reconnects } : {}),
      records_pending: this.pending.length,
    };
  }

  /** The saved position, if any (tests check it). */
  savedPosition(): TailPosition | undefined {
    return this.store.load()?.position;
  }

  start(): Promise<void> {
    if (this.socket) {
      const socket = this.socket;
      try {
        if (this.config.rules.install) this.installRules();
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
      return socket.start().then(
        () => {
          this.context.log(`egressguard: receiver ${this.context.id}: reading events from ${this.path}`);
          this.startTimer();
        },
        (cause: unknown) => {
          this.removeRules();
          throw new Error(`egressguard: receiver ${this.context.id}: ${(cause as Error).message}`, { cause });
        },
      );
    }
    try {
      this.open(this.tail!);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    return Promise.resolve();
  }

  private startTimer(): void {
    this.timer = setInterval(() => {
      this.loop = this.loop.then(() => this.poll());
    }, this.config.poll_interval_ms);
    // Not unref'd: like a listening socket, a running receiver keeps the process alive until stop() clears it.
  }

  private open(tail: LogTail): void {
    const source = this.config.source as { type: 'file'; path: string; start_at: 'end' | 'beginning' };
    if (this.config.rules.install) this.installRules();
    let saved: AuditdReceiverState | undefined;
    try {
      saved = this.store.load();
    } catch (cause) {
      throw new Error(
        `egressguard: receiver ${this.context.id}: state file ${this.store.path} cannot be read; move it aside to start from the log's ${source.start_at}`,
        { cause },
      );
    }
    if (saved && (saved.version !== 1 || saved.path !== this.path)) saved = undefined;
    if (saved?.parser) this.parser.restore?.(saved.parser);
    let how: string;
    try {
      how = tail.open(saved?.position, source.start_at);
    } catch (cause) {
      this.removeRules();
      throw new Error(`egressguard: receiver ${this.context.id}: cannot read ${this.path}`, { cause });
    }
    this.context.log(`egressguard: receiver ${this.context.id}: ${how}`);
    this.startTimer();
  }

  stop(): Promise<void> {
    this.stopped ??= this.shutdown();
    return this.stopped;
  }

  private async shutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.loop;
    await this.poll();
    if (this.pending.length === 0) this.save(true);
    this.tail?.close();
    this.socket?.close();
    this.removeRules();
  }

  private count(key: string, n = 1): void {
    this.tally.set(key, (this.tally.get(key) ?? 0) + n);
  }

  /** Reads new lines, hands their records over, then saves the position they reach. */
  private async poll(): Promise<void> {
    if (this.pending.length === 0) {
      let lines: string[];
      try {
        lines = this.tail ? this.tail.read() : this.socket!.read();
      } catch (cause) {
        reportError({
          component: `receiver ${this.context.id}`,
          reason: 'read_failed',
          message: `cannot read ${this.path}`,
          cause,
        });
        return;
      }
      this.count('lines', lines.length);
      if (lines.length > 0) this.lastLineMs = Date.now();
      else this.completeOnIdle();
      for (const line of lines) {
        const out = this.parser.push(line, ++this.lineNo);
        for (const e of out.errors) {
          this.count('malformed');
          reportError({
            component: `receiver ${this.context.id}`,
            reason: 'malformed',
            message: `audit line ${e.line}: ${e.reason}`,
          });
        }
        this.pending.push(...this.withContainers(out.records));
      }
    }
    if (this.pending.length > 0) {
      try {
        await this.context.onRecords(this.pending);
        this.count('records_delivered', this.pending.length);
        this.pending = [];
      } catch (cause) {
        // Not read further until these are taken: the log itself is the buffer.
        reportError({
          component: `receiver ${this.context.id}`,
          reason: 'hand_over_failed',
          message: `${this.pending.length} records wait for the export queues`,
          cause,
        });
        return;
      }
    }
    this.save(false);
  }

  /**
   * Saves the position (with the parser's open events) when it moved, at most once per {@link SAVE_INTERVAL_MS}
   * unless `force` (at stop): a restart then re-reads at most that much, which the parser's open events cover.
   */
  /** Adds the container id of each record's live process, from its cgroup. */
  private withContainers(records: PipelineRecord[]): PipelineRecord[] {
    for (const r of records) {
      const pid = r.attributes[ProcessAttr.PID];
      if (typeof pid === 'number' && r.attributes[ProcessAttr.CONTAINER_ID] === undefined) {
        const container = containerIdOf(pid);
        if (container !== undefined) r.attributes[ProcessAttr.CONTAINER_ID] = container;
      }
    }
    return records;
  }

  /**
   * Not every kernel ends an event with EOE (a `connect` event here is SYSCALL, SOCKADDR, PROCTITLE), and the parser
   * then completes it when a later line arrives. On a quiet host none may come: after {@link IDLE_COMPLETE_MS}
   * without a line, the events still open are complete (the kernel writes an event's records together) and are
   * handed over.
   */
  private completeOnIdle(): void {
    if ((this.parser.counters?.().open_events ?? 0) === 0) return;
    if (Date.now() - this.lastLineMs < IDLE_COMPLETE_MS) return;
    const out = this.parser.end();
    for (const [k, v] of Object.entries(this.parser.counters?.() ?? {}))
      if (!k.startsWith('open_')) this.retired.set(k, (this.retired.get(k) ?? 0) + v);
    this.parser = this.newParser();
    // The saved parser state still holds these events: the next save must replace it even at the same position.
    this.savedAt = undefined;
    this.count('events_completed_on_idle', out.records.length);
    this.pending.push(...this.withContainers(out.records));
  }

  private save(force: boolean): void {
    const position = this.tail?.position();
    if (!position) return;
    const now = Date.now();
    if (position.inode === this.savedAt?.inode && position.offset === this.savedAt.offset) return;
    if (!force && now - this.lastSaveMs < SAVE_INTERVAL_MS) return;
    this.lastSaveMs = now;
    this.savedAt = position;
    try {
      this.store.save({
        version: 1,
        path: this.path,
        position,
        ...(this.parser.snapshot ? { parser: this.parser.snapshot() } : {}),
      });
    } catch (cause) {
      reportError({
        component: `receiver ${this.context.id}`,
        reason: 'position_not_saved',
        message: `position not saved to ${this.store.path}`,
        cause,
      });
    }
  }

  private rules(): string[][] {
    const prefix = this.config.rules.key_prefix;
    return [
      ['always,exit', '-F', 'arch=b64', '-S', 'connect', '-k', `${prefix}_connect`],
      ['always,exit', '-F', 'arch=b64', '-S', 'execve', '-k', `${prefix}_exec`],
    ];
  }

  private installRules(): void {
    // A run that died before removing its rules leaves them behind, and auditctl refuses to add a rule twice.
    this.removeRules(this.rules());
    for (const rule of this.rules()) {
      try {
        execFileSync('auditctl', ['-a', ...rule], { stdio: ['ignore', 'ignore', 'pipe'] });
        this.installed.push(rule);
      } catch (cause) {
        this.removeRules();
        throw new Error(
          `egressguard: receiver ${this.context.id}: rules.install: auditctl -a ${rule.join(' ')} failed`,
          { cause },
        );
      }
    }
    this.context.log(
      `egressguard: receiver ${this.context.id}: added audit rules with keys ${this.rules()
        .map((r) => r.at(-1))
        .join(', ')}; they are removed at stop`,
    );
  }

  private removeRules(rules: string[][] = this.installed): void {
    for (const rule of rules) {
      try {
        execFileSync('auditctl', ['-d', ...rule], { stdio: 'ignore' });
      } catch {
        // Not there (never added, or already removed).
      }
    }
    if (rules === this.installed) this.installed = [];
  }
}

/** Whether the audit log can be read here (it is root's, mode 0600 or 0640 group adm, on Debian). */
export function auditdAvailable(path = DEFAULT_AUDIT_LOG): { ok: boolean; why?: string } {
  try {
    accessSync(path, constants.R_OK);
    return { ok: true };
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    return {
      ok: false,
      why:
        code === 'ENOENT'
          ? `${path} does not exist (is auditd installed and running?)`
          : `${path} is not readable (needs root or the adm group)`,
    };
  }
}

/** `a` plus `b`, key by key; `open_*` gauges of `b` are taken as they are. */
function sumCounts(
  a: ReadonlyMap<string, number>,
  b: Readonly<Record<string, number>>,
): Record<string, number> {
  const out: Record<string, number> = Object.fromEntries(a);
  for (const [k, v] of Object.entries(b)) out[k] = k.startsWith('open_') ? v : (out[k] ?? 0) + v;
  return out;
}
