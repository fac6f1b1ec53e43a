/**
 * The sensors a scenario runs while its processes talk: `ss` polling (always), auditd's `connect` and `execve`
 * rules (AN0145's own log source) and the eBPF TCP lifetime tracer (exact bytes per connection), each where the
 * machine can run it. Every capture is cut down to the scenario's own processes before it is saved.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readSync, statSync, writeFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** The line our poller writes before each `ss` poll: `# egressguard-ss-poll <unix ms>`. */
export const SS_POLL_MARKER = '# egressguard-ss-poll';

function has(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Polls `ss -tinpH` every `intervalMs` and keeps the output with a marker line per poll. */
export class SsPoller {
  private readonly chunks: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> = Promise.resolve();
  private readonly intervalMs: number;
  private readonly keepPids: ReadonlySet<number> | undefined;
  polls = 0;

  /**
   * @param keepPids when given, each poll is cut down to these pids as it arrives (a set the caller keeps adding
   *   to as it starts processes), so a long recording does not hold every socket of the machine.
   */
  constructor(intervalMs = 200, keepPids?: ReadonlySet<number>) {
    this.intervalMs = intervalMs;
    this.keepPids = keepPids;
  }

  start(): void {
    const poll = () => {
      const at = Date.now();
      this.inFlight = new Promise((resolve) => {
        execFile('ss', ['-tinpH'], { maxBuffer: 64 * 1024 * 1024 }, (error, stdout) => {
          if (!error) {
            const chunk = `${SS_POLL_MARKER} ${at}\n${stdout}`;
            this.chunks.push(this.keepPids ? filterSs(chunk, this.keepPids) : chunk);
            this.polls++;
          }
          resolve();
        });
      });
    };
    poll();
    this.timer = setInterval(poll, this.intervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.inFlight;
  }

  /** The capture, keeping only sockets owned by the given pids (a socket is its line plus indented lines). */
  text(pids: ReadonlySet<number>): string {
    return `${this.chunks.map((chunk) => filterSs(chunk, pids)).join('\n')}\n`;
  }
}

/** One poll's marker line and the sockets owned by the pids, without a trailing newline. */
function filterSs(chunk: string, pids: ReadonlySet<number>): string {
  const lines = chunk.split('\n');
  const out = [lines[0]];
  let keep = false;
  for (const line of lines.slice(1)) {
    if (line === '') continue;
    if (!/^\s/.test(line)) keep = [...line.matchAll(/pid=(\d+)/g)].some((m) => pids.has(Number(m[1])));
    if (keep) out.push(line);
  }
  return out.join('\n');
}

/** Where an {@link AuditCapture} puts its rules and which events they cover. */
export interface AuditOptions {
  /** Rule keys; another run's rules with other keys are neither removed nor read. Default `egressguard_connect`, `egressguard_exec`. */
  readonly keys?: { readonly connect: string; readonly exec: string };
  /**
   * Only processes whose parent is this pid (the recorder's own children): the rules then never match another
   * run's processes, so they can go first in the list (the kernel tags an event with the first matching rule's key)
   * without taking events from a concurrent run.
   */
  readonly ppid?: number;
}

/**
 * auditd with `connect` and `execve` rules for the duration of the scenario. The log is read as it grows (once a
 * second), keeping only events tagged with our keys, so rotations during a long recording lose nothing.
 */
export class AuditCapture {
  private offset = 0;
  private inode = 0;
  private partial = '';
  private startedDaemon: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly log = '/var/log/audit/audit.log';
  private readonly keys: { readonly connect: string; readonly exec: string };
  private readonly rules: string[][];
  private readonly prepend: boolean;
  /** Events by serial, in order of arrival; `undefined` marks a serial seen without our key (dropped). */
  private readonly events = new Map<string, string[]>();
  private readonly kept = new Set<string>();

  constructor(options: AuditOptions = {}) {
    this.keys = options.keys ?? { connect: 'egressguard_connect', exec: 'egressguard_exec' };
    const only = options.ppid === undefined ? [] : ['-F', `ppid=${options.ppid}`];
    this.prepend = options.ppid !== undefined;
    this.rules = [
      ['always,exit', '-F', 'arch=b64', '-S', 'connect', ...only, '-k', this.keys.connect],
      ['always,exit', '-F', 'arch=b64', '-S', 'execve', ...only, '-k', this.keys.exec],
    ];
  }

  static available(): boolean {
    return process.getuid?.() === 0 && has('auditctl') && has('auditd');
  }

  start(): void {
    try {
      execFileSync('pgrep', ['-x', 'auditd'], { stdio: 'ignore' });
    } catch {
      const daemon = spawn('auditd', ['-n'], { stdio: 'ignore', detached: false });
      this.startedDaemon = daemon.pid;
      execFileSync('sleep', ['1']);
    }
    // The kernel's default backlog of 64 drops events under load.
    execFileSync('auditctl', ['-b', '16384'], { stdio: 'ignore' });
    // A run that died before stop() leaves its rules behind, and auditctl refuses to add a rule twice.
    this.removeRules();
    for (const rule of this.rules)
      execFileSync('auditctl', [this.prepend ? '-A' : '-a', ...rule], { stdio: 'ignore' });
    if (existsSync(this.log)) {
      const st = statSync(this.log);
      this.offset = st.size;
      this.inode = st.ino;
    }
    this.timer = setInterval(() => this.read(), 1000);
    // A generator that fails before stop() must still exit.
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.removeRules();
    this.read();
    if (this.startedDaemon !== undefined) process.kill(this.startedDaemon, 'SIGTERM');
  }

  private removeRules(): void {
    for (const rule of this.rules) {
      try {
        execFileSync('auditctl', ['-d', ...rule], { stdio: 'ignore' });
      } catch {
        // already gone
      }
    }
  }

  /** Reads what the log gained since the last read; after a rotation, the rest of the previous file first. */
  private read(): void {
    if (!existsSync(this.log)) return;
    const st = statSync(this.log);
    let raw = '';
    if (st.ino !== this.inode || st.size < this.offset) {
      if (existsSync(`${this.log}.1`) && statSync(`${this.log}.1`).ino === this.inode)
        raw += readFrom(`${this.log}.1`, this.offset);
      this.offset = 0;
      this.inode = st.ino;
    }
    const now = statSync(this.log).size;
    raw += readFrom(this.log, this.offset, now);
    this.offset = now;
    const text = this.partial + raw;
    const cut = text.lastIndexOf('\n');
    this.partial = text.slice(cut + 1);
    const tagged = new RegExp(`key="(${this.keys.connect}|${this.keys.exec})"`);
    for (const line of text.slice(0, cut + 1).split('\n')) {
      const serial = serialOf(line);
      if (!serial) continue;
      if (line.startsWith('type=SYSCALL') && tagged.test(line)) this.kept.add(serial);
      let lines = this.events.get(serial);
      if (!lines) this.events.set(serial, (lines = []));
      lines.push(line);
    }
    // An event's records are written together; anything untagged once its SYSCALL record is past is not ours.
    if (this.events.size > 4096)
      for (const [serial, lines] of this.events) {
        if (this.events.size <= 1024) break;
        if (!this.kept.has(serial) && lines.some((l) => l.startsWith('type=SYSCALL')))
          this.events.delete(serial);
      }
  }

  /** The events (every line of each) tagged with our keys whose SYSCALL record belongs to one of the pids. */
  text(pids: ReadonlySet<number>): string {
    const out: string[] = [];
    for (const [serial, lines] of this.events) {
      if (!this.kept.has(serial)) continue;
      const syscall = lines.find((l) => l.startsWith('type=SYSCALL'));
      const pid = Number(/ pid=(\d+)/.exec(syscall ?? '')?.[1]);
      if (pids.has(pid)) out.push(...lines);
    }
    return `${out.join('\n')}\n`;
  }

  /** Only the execve events of a capture made by {@link text}. */
  execOnly(capture: string): string {
    const lines = capture.split('\n');
    const exec = new Set(
      lines
        .filter((l) => l.startsWith('type=SYSCALL') && l.includes(`key="${this.keys.exec}"`))
        .map(serialOf),
    );
    return lines.filter((l) => exec.has(serialOf(l))).join('\n') + '\n';
  }
}

function serialOf(line: string): string | undefined {
  return /msg=audit\(([\d.]+:\d+)\)/.exec(line)?.[1];
}

function readFrom(path: string, offset: number, upTo?: number): string {
  const fd = openSync(path, 'r');
  try {
    const size = upTo ?? statSync(path).size;
    const buf = Buffer.alloc(Math.max(0, size - offset));
    readSync(fd, buf, 0, buf.length, offset);
    return buf.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** The eBPF TCP lifetime tracer (programs/tcplife.bt) under bpftrace. */
export class TcpLifeTracer {
  private child: ChildProcess | undefined;
  private output = '';
  private readonly keepPids: ReadonlySet<number> | undefined;
  private kept: string[] = [];
  private pending = '';

  /** @param keepPids when given, rows are cut down to these pids as they arrive (see {@link SsPoller}). */
  constructor(keepPids?: ReadonlySet<number>) {
    this.keepPids = keepPids;
  }

  static available(): boolean {
    return process.getuid?.() === 0 && has('bpftrace') && existsSync('/sys/kernel/btf/vmlinux');
  }

  async start(): Promise<void> {
    mountTracefs();
    const child = spawn('bpftrace', [join(here, '..', 'programs', 'tcplife.bt')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      if (!this.keepPids || !this.output.includes('START_UNIX')) {
        this.output += d;
        return;
      }
      const text = this.pending + d;
      const cut = text.lastIndexOf('\n');
      this.pending = text.slice(cut + 1);
      for (const line of text.slice(0, cut + 1).split('\n'))
        if (/^\d/.test(line) && this.keepPids.has(Number(line.split(',')[1]))) this.kept.push(line);
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('bpftrace did not attach within 30 s')), 30_000);
      child.stdout.on('data', () => {
        if (this.output.includes('START_UNIX')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.on('exit', (code) => reject(new Error(`bpftrace exited with ${code}`)));
    });
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<true>((resolve) => child.on('exit', () => resolve(true)));
    child.kill('SIGINT');
    // bpftrace acts on SIGINT when its event loop next wakes. Now and then the signal does not wake it, and it sleeps
    // until the next traced event, which an idle machine may not have for many minutes. A loopback connection of our
    // own is such an event (its lines are left out: it is none of the recorded pids); past ten tries, SIGKILL.
    for (let i = 0; i < 10; i++) {
      if (await Promise.race([exited, sleep(1_000).then(() => false)])) return;
      await loopbackConnection();
    }
    child.kill('SIGKILL');
    await exited;
  }

  /** The header and the connections opened by the pids. */
  text(pids: ReadonlySet<number>): string {
    const lines = [...this.output.split('\n'), ...this.kept, ...this.pending.split('\n')];
    const header = lines.find((l) => l.startsWith('START_UNIX')) ?? '';
    const rows = lines.filter((l) => /^\d/.test(l) && pids.has(Number(l.split(',')[1])));
    return `${[header, ...rows].join('\n')}\n`;
  }
}

/** Opens and closes one TCP connection on loopback: a connect, an accept and two closes, for a tracer to see. */
async function loopbackConnection(): Promise<void> {
  const server = createServer((socket) => socket.end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => {
    const client = connect(port, '127.0.0.1');
    client.on('error', () => resolve());
    client.on('close', () => resolve());
    client.resume();
  });
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/**
 * bpftrace finds tracepoints through tracefs; a freshly booted machine may not have it mounted, and bpftrace then
 * reports "tracepoint not found". Mount it where it is missing (we run as root whenever the tracer is available).
 */
function mountTracefs(): void {
  if (existsSync('/sys/kernel/tracing/events')) return;
  try {
    execFileSync('mount', ['-t', 'tracefs', 'nodev', '/sys/kernel/tracing'], { stdio: 'ignore' });
  } catch {
    // bpftrace's own error then says what is missing
  }
}

/** Writes a capture file, gzip-compressed when the path ends in `.gz`. */
export function save(path: string, text: string): void {
  writeFileSync(path, path.endsWith('.gz') ? gzipSync(text, { level: 9 }) : text);
}
