/**
 * The sensors a scenario runs while its processes talk: `ss` polling (always), auditd's `connect` and `execve`
 * rules (AN0145's own log source) and the eBPF TCP lifetime tracer (exact bytes per connection), each where the
 * machine can run it. Every capture is cut down to the scenario's own processes before it is saved.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
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
  polls = 0;

  constructor(intervalMs = 200) {
    this.intervalMs = intervalMs;
  }

  start(): void {
    const poll = () => {
      const at = Date.now();
      this.inFlight = new Promise((resolve) => {
        execFile('ss', ['-tinpH'], { maxBuffer: 64 * 1024 * 1024 }, (error, stdout) => {
          if (!error) {
            this.chunks.push(`${SS_POLL_MARKER} ${at}\n${stdout}`);
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
    const out: string[] = [];
    for (const chunk of this.chunks) {
      const lines = chunk.split('\n');
      out.push(lines[0]);
      let keep = false;
      for (const line of lines.slice(1)) {
        if (line === '') continue;
        if (!/^\s/.test(line)) keep = [...line.matchAll(/pid=(\d+)/g)].some((m) => pids.has(Number(m[1])));
        if (keep) out.push(line);
      }
    }
    return `${out.join('\n')}\n`;
  }
}

/** auditd with `connect` and `execve` rules for the duration of the scenario. */
export class AuditCapture {
  private offset = 0;
  private startedDaemon: number | undefined;
  private readonly log = '/var/log/audit/audit.log';
  private static readonly RULES = [
    ['-a', 'always,exit', '-F', 'arch=b64', '-S', 'connect', '-k', 'egressguard_connect'],
    ['-a', 'always,exit', '-F', 'arch=b64', '-S', 'execve', '-k', 'egressguard_exec'],
  ];

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
    for (const rule of AuditCapture.RULES) execFileSync('auditctl', rule, { stdio: 'ignore' });
    this.offset = existsSync(this.log) ? statSync(this.log).size : 0;
  }

  stop(): void {
    this.removeRules();
    if (this.startedDaemon !== undefined) process.kill(this.startedDaemon, 'SIGTERM');
  }

  private removeRules(): void {
    for (const rule of AuditCapture.RULES) {
      try {
        execFileSync('auditctl', ['-d', ...rule.slice(1)], { stdio: 'ignore' });
      } catch {
        // already gone
      }
    }
  }

  /**
   * The events (every line of each) whose SYSCALL record belongs to one of the pids. Reads the log once: when auditd
   * rotated it while we ran (max_log_file), the tail of the previous file comes first.
   */
  text(pids: ReadonlySet<number>): string {
    let raw = '';
    const size = existsSync(this.log) ? statSync(this.log).size : 0;
    if (size < this.offset && existsSync(`${this.log}.1`))
      raw += readFrom(`${this.log}.1`, this.offset) + readFrom(this.log, 0);
    else raw += readFrom(this.log, this.offset);
    const events = new Map<string, string[]>();
    const keep = new Set<string>();
    for (const line of raw.split('\n')) {
      const serial = serialOf(line);
      if (!serial) continue;
      let lines = events.get(serial);
      if (!lines) events.set(serial, (lines = []));
      lines.push(line);
      if (line.startsWith('type=SYSCALL') && /key="egressguard_/.test(line)) {
        const pid = Number(/ pid=(\d+)/.exec(line)?.[1]);
        if (pids.has(pid)) keep.add(serial);
      }
    }
    return (
      [...events]
        .filter(([serial]) => keep.has(serial))
        .flatMap(([, lines]) => lines)
        .join('\n') + '\n'
    );
  }

  /** Only the execve events of a capture made by {@link text}. */
  static execOnly(capture: string): string {
    const lines = capture.split('\n');
    const exec = new Set(
      lines.filter((l) => l.startsWith('type=SYSCALL') && l.includes('key="egressguard_exec"')).map(serialOf),
    );
    return lines.filter((l) => exec.has(serialOf(l))).join('\n') + '\n';
  }
}

function serialOf(line: string): string | undefined {
  return /msg=audit\(([\d.]+:\d+)\)/.exec(line)?.[1];
}

function readFrom(path: string, offset: number): string {
  const fd = openSync(path, 'r');
  try {
    const size = statSync(path).size;
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

  static available(): boolean {
    return process.getuid?.() === 0 && has('bpftrace') && existsSync('/sys/kernel/btf/vmlinux');
  }

  async start(): Promise<void> {
    mountTracefs();
    const child = spawn('bpftrace', [join(here, '..', 'programs', 'tcplife.bt')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (this.output += d));
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
    const exited = new Promise((resolve) => child.on('exit', resolve));
    child.kill('SIGINT');
    await exited;
  }

  /** The header and the connections opened by the pids. */
  text(pids: ReadonlySet<number>): string {
    const lines = this.output.split('\n');
    const header = lines.find((l) => l.startsWith('START_UNIX')) ?? '';
    const rows = lines.filter((l) => /^\d/.test(l) && pids.has(Number(l.split(',')[1])));
    return `${[header, ...rows].join('\n')}\n`;
  }
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

/** Writes a capture file. */
export function save(path: string, text: string): void {
  writeFileSync(path, text);
}
