/**
 * The `ebpf` receiver: runs egressguard's bpftrace program ({@link EBPF_PROGRAM}) and supervises it. Connection lines
 * go through normalize's tcplife parser (the same records `replay --format tcplife` makes of a recording); exec and
 * exit lines become process records. When bpftrace dies it is restarted with a growing back-off, and each stretch
 * during which it was not running is reported as an `egressguard.coverage` record (the period is the gap,
 * `egressguard.coverage.sensor_down_ms` its length): connections of that time were not seen.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { createInterface } from 'node:readline';

import { reportError } from '@egressguard/core';
import { createTcplifeFormat, type SensorParser } from '@egressguard/normalize';
import {
  CoverageAttr,
  EventName,
  ProcessAttr,
  ProvenanceAttr,
  msToHrTime,
  PipelineRecord,
  type RecordAttributes,
} from '@egressguard/schema';

import type { EbpfReceiverConfig } from './config.ts';
import { containerIdOf } from './container-id.ts';
import { EBPF_HEADER, EBPF_PROGRAM } from './ebpf-program.ts';
import type { HostReceiver, HostReceiverContext } from './host-receiver.ts';
import { liveReceiverBatcher, type RecordBatcher } from './record-batcher.ts';
import { mountTracefs } from './tracefs.ts';

/** `egressguard.source.format` of the process records of the `ebpf` receiver. */
export const EBPF_EXEC_SOURCE = 'ebpf.sched';
/** `egressguard.source.format` of the connection records (normalize's tcplife parser writes it). */
export const EBPF_CONNECTION_SOURCE = 'tcplife';

const SCOPE = { name: '@egressguard/cli/ebpf-receiver' };
/** A run of the tracer this long counts as healthy: the next death restarts after the shortest back-off again. */
const HEALTHY_RUN_MS = 60_000;

/** Whether a bpftrace line is the Unix seconds with microseconds the program prints. */
const UNIX_SECONDS = /^\d+\.\d+$/;

/** Supervises bpftrace and turns its output into records. */
export class EbpfReceiver implements HostReceiver {
  readonly blindSpots = [
    'Only TCP connections this host opened; UDP and inbound connections are not traced.',
    'No HTTP semantics: HTTP is inferred from the destination port.',
    'Connections still open are reported when they close.',
  ];
  private readonly config: EbpfReceiverConfig;
  private readonly context: HostReceiverContext;
  private readonly batcher: RecordBatcher;
  private parser: SensorParser;
  private child: ChildProcess | undefined;
  private stopping = false;
  private backoffMs: number;
  private restartTimer: NodeJS.Timeout | undefined;
  private attachTimer: NodeJS.Timeout | undefined;
  /** When the tracer stopped running, and why: set until the next run has attached. */
  private down: { sinceMs: number; reason: string } | undefined;
  private startedAt = 0;
  private readonly tally = new Map<string, number>();
  private firstStart: { resolve: () => void; reject: (e: Error) => void } | undefined;
  private stopped: Promise<void> | undefined;
  private stderrTail = '';

  constructor(config: EbpfReceiverConfig, context: HostReceiverContext) {
    this.config = config;
    this.context = context;
    this.backoffMs = config.restart_min_backoff_ms;
    this.parser = this.newParser();
    this.batcher = liveReceiverBatcher(context.id, context.onRecords);
  }

  counters(): Readonly<Record<string, number>> {
    return {
      ...Object.fromEntries(this.tally),
      ...this.parser.counters?.(),
      records_delivered: this.batcher.delivered,
      records_dropped_queue_full: this.batcher.dropped,
    };
  }

  /** Starts bpftrace; resolves once its probes are attached, rejects if the first run cannot attach. */
  start(): Promise<void> {
    const mounted = mountTracefs();
    if (mounted) this.context.log(`egressguard: receiver ${this.context.id}: ${mounted}`);
    this.batcher.start();
    return new Promise<void>((resolve, reject) => {
      this.firstStart = { resolve, reject };
      this.spawnTracer();
    });
  }

  stop(): Promise<void> {
    this.stopped ??= this.shutdown();
    return this.stopped;
  }

  private async shutdown(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    clearTimeout(this.attachTimer);
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    this.add(this.parser.end().records);
    // Stopped while the tracer was down: that gap is reported too, up to now.
    if (this.down) this.add([this.gapRecord(this.down.sinceMs, Date.now(), this.down.reason)]);
    await this.batcher.stop();
  }

  private count(key: string, n = 1): void {
    this.tally.set(key, (this.tally.get(key) ?? 0) + n);
  }

  private newParser(): SensorParser {
    const resource = this.context.resource;
    return createTcplifeFormat().createParser({ defaultResource: resource, resourceFor: () => resource });
  }

  private add(records: PipelineRecord[]): void {
    if (records.length > 0) this.batcher.add(records);
  }

  private spawnTracer(): void {
    let child: ChildProcess;
    this.stderrTail = '';
    try {
      child = spawn(this.config.bpftrace_path, ['-e', EBPF_PROGRAM], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          ...process.env,
          // Exec paths longer than bpftrace's default 64-byte strings would be cut.
          BPFTRACE_STRLEN: '200',
          // A full map silently stops tracking new connections: sized by the configuration, not bpftrace's 4096.
          BPFTRACE_MAP_KEYS_MAX: String(this.config.max_tracked_connections),
        },
      });
    } catch (cause) {
      this.onExit(`could not be started: ${(cause as Error).message}`);
      return;
    }
    this.child = child;
    this.startedAt = Date.now();
    let attached = false;
    this.attachTimer = setTimeout(() => {
      if (!attached) child.kill('SIGKILL');
    }, this.config.attach_timeout_ms);
    this.attachTimer.unref();
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      this.stderrTail = (this.stderrTail + d).slice(-2000);
    });
    const lines = createInterface({ input: child.stdout!, crlfDelay: Infinity });
    let lineNo = 0;
    lines.on('line', (line) => {
      lineNo++;
      if (!attached && line === EBPF_HEADER) {
        attached = true;
        clearTimeout(this.attachTimer);
        this.onAttached();
      }
      this.onLine(line, lineNo);
    });
    child.on('error', (error) => {
      // ENOENT and the like: 'close' may not follow when the process never ran.
      if (child.pid === undefined) this.onExit(`could not be started: ${error.message}`);
    });
    child.on('close', (code, signal) => {
      if (this.child !== child) return;
      clearTimeout(this.attachTimer);
      const how = signal ? `killed by ${signal}` : `exited with code ${code}`;
      this.onExit(
        attached ? how : `${how} before attaching: ${this.stderrTail.trim().split('\n').pop() ?? ''}`,
      );
    });
  }

  private onAttached(): void {
    this.context.log(
      `egressguard: receiver ${this.context.id}: bpftrace ${this.child?.pid} attached (TCP connections, exec, exit)`,
    );
    if (this.down) {
      const now = Date.now();
      this.add([this.gapRecord(this.down.sinceMs, now, this.down.reason)]);
      this.context.log(
        `egressguard: receiver ${this.context.id}: tracer restarted; not traced for ${now - this.down.sinceMs} ms (${this.down.reason})`,
      );
      this.down = undefined;
    }
    this.firstStart?.resolve();
    this.firstStart = undefined;
  }

  private onExit(reason: string): void {
    this.child = undefined;
    if (this.stopping) return;
    // A connection open across the death is lost with the tracer's maps; what the parser held is ended now.
    this.add(this.parser.end().records);
    this.parser = this.newParser();
    if (this.firstStart) {
      this.firstStart.reject(new Error(`egressguard: receiver ${this.context.id}: bpftrace ${reason}`));
      this.firstStart = undefined;
      return;
    }
    this.count('tracer_restarts');
    this.down ??= { sinceMs: Date.now(), reason };
    const ranMs = Date.now() - this.startedAt;
    if (ranMs >= HEALTHY_RUN_MS) this.backoffMs = this.config.restart_min_backoff_ms;
    reportError({
      component: `receiver ${this.context.id}`,
      reason: 'tracer_died',
      message: `bpftrace ${reason}; restarting in ${this.backoffMs} ms`,
    });
    this.restartTimer = setTimeout(() => this.spawnTracer(), this.backoffMs);
    this.backoffMs = Math.min(this.backoffMs * 2, this.config.restart_max_backoff_ms);
  }

  private onLine(line: string, lineNo: number): void {
    this.count('lines');
    if (Buffer.byteLength(line) > this.config.max_line_bytes) {
      this.malformed(lineNo, `line longer than ${this.config.max_line_bytes} bytes`);
      return;
    }
    if (line.startsWith('EXEC\t') || line.startsWith('EXIT\t')) {
      const record = this.processRecord(line);
      if (typeof record === 'string') this.malformed(lineNo, record);
      else this.add([record]);
      return;
    }
    const out = this.parser.push(line, lineNo);
    for (const e of out.errors) this.malformed(e.line, e.reason);
    const records = out.records;
    for (const r of records) {
      const pid = r.attributes[ProcessAttr.PID];
      if (typeof pid === 'number' && r.attributes[ProcessAttr.CONTAINER_ID] === undefined) {
        const container = containerIdOf(pid);
        if (container !== undefined) r.attributes[ProcessAttr.CONTAINER_ID] = container;
      }
    }
    this.add(records);
  }

  private malformed(line: number, reason: string): void {
    this.count('malformed');
    reportError({
      component: `receiver ${this.context.id}`,
      reason: 'malformed',
      message: `tracer line ${line}: ${reason}`,
    });
  }

  /** An exec or exit line as a process record, or why it cannot be read. */
  private processRecord(line: string): PipelineRecord | string {
    const f = line.split('\t');
    const exec = f[0] === 'EXEC';
    if (exec ? f.length < 6 : f.length !== 3) return `${f[0]}: expected ${exec ? 6 : 3} tab-separated fields`;
    if (!UNIX_SECONDS.test(f[1])) return `${f[0]}: time is not Unix seconds (${f[1]})`;
    const ms = Number(f[1]) * 1000;
    const pid = Number(f[2]);
    if (!Number.isSafeInteger(pid) || pid <= 0) return `${f[0]}: pid is not a number (${f[2]})`;
    const time = msToHrTime(ms);
    const attributes: RecordAttributes = { [ProcessAttr.PID]: pid };
    if (exec) {
      const ppid = Number(f[3]);
      const uid = Number(f[4]);
      // The filename as exec was given it: relative paths are resolved through the process's exe link.
      let path = f.slice(5).join('\t');
      if (!path.startsWith('/')) path = readLink(`/proc/${pid}/exe`) ?? path;
      const commandLine = readCommandLine(pid);
      attributes[ProcessAttr.EXECUTABLE_PATH] = path;
      attributes[ProcessAttr.EXECUTABLE_NAME] = path.slice(path.lastIndexOf('/') + 1);
      if (Number.isSafeInteger(ppid) && ppid > 0) attributes[ProcessAttr.PARENT_PID] = ppid;
      if (Number.isSafeInteger(uid) && uid >= 0) attributes[ProcessAttr.USER_ID] = uid;
      if (commandLine !== undefined) attributes[ProcessAttr.COMMAND_LINE] = commandLine;
      attributes[ProcessAttr.CREATION_TIME] = new Date(ms).toISOString();
      const container = containerIdOf(pid);
      if (container !== undefined) attributes[ProcessAttr.CONTAINER_ID] = container;
    } else {
      attributes[ProcessAttr.EXIT_TIME] = new Date(ms).toISOString();
    }
    attributes[ProvenanceAttr.SOURCE_FORMAT] = EBPF_EXEC_SOURCE;
    return new PipelineRecord({
      hrTime: time,
      hrTimeObserved: msToHrTime(Date.now()),
      eventName: exec ? EventName.PROCESS_EXEC : EventName.PROCESS_EXIT,
      attributes,
      resource: this.context.resource,
      instrumentationScope: SCOPE,
    });
  }

  private gapRecord(fromMs: number, toMs: number, reason: string): PipelineRecord {
    return new PipelineRecord({
      hrTime: msToHrTime(fromMs),
      hrTimeObserved: msToHrTime(toMs),
      eventName: EventName.COVERAGE,
      attributes: {
        [ProvenanceAttr.SOURCE_FORMAT]: EBPF_CONNECTION_SOURCE,
        [CoverageAttr.PERIOD_START]: fromMs,
        [CoverageAttr.PERIOD_END]: toMs,
        [CoverageAttr.CONNECTIONS]: 0,
        [CoverageAttr.SENSOR_DOWN_MS]: toMs - fromMs,
        [CoverageAttr.SENSOR_DOWN_REASON]: reason,
      },
      resource: this.context.resource,
      instrumentationScope: SCOPE,
    });
  }
}

function readLink(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}

/** `/proc/<pid>/cmdline` with its NUL separators as spaces; `undefined` when the process is gone. */
function readCommandLine(pid: number): string | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    const text = raw.replace(/\0+$/, '').replaceAll('\0', ' ');
    return text === '' ? undefined : text;
  } catch {
    return undefined;
  }
}

/** Whether bpftrace can run here: root, the tool on PATH, and the kernel's BTF (the program reads `tcp_sock`). */
export function ebpfAvailable(bpftracePath = 'bpftrace'): { ok: boolean; why?: string } {
  if (process.getuid?.() !== 0) return { ok: false, why: 'eBPF needs root' };
  if (!existsSync('/sys/kernel/btf/vmlinux'))
    return { ok: false, why: 'the kernel has no BTF (/sys/kernel/btf/vmlinux)' };
  if (!onPath(bpftracePath))
    return { ok: false, why: `${bpftracePath} is not installed (Debian/Ubuntu: apt-get install bpftrace)` };
  return { ok: true };
}

/** Whether a command is an existing file or found on PATH. */
export function onPath(command: string): boolean {
  if (command.includes('/')) return existsSync(command);
  return (process.env.PATH ?? '').split(':').some((dir) => dir !== '' && existsSync(`${dir}/${command}`));
}
