/**
 * What the live `watch` tests share: the CLI as a child process whose output is watched line by line, and a test
 * network of their own (198.18.0.0/24, from the benchmarking range of RFC 2544, never routed on the internet; other live tests use other
 * ranges and names).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { createTestNetwork } from '../scenarios/lib/netns.ts';

const here = dirname(fileURLToPath(import.meta.url));
const BIN = join(here, '..', '..', 'packages', 'cli', 'src', 'bin.ts');
/** The scenarios' programs: the HTTP client (run under other names) and the namespace's servers. */
export const CLIENT_PL = join(here, '..', 'scenarios', 'programs', 'client.pl');
export const SERVER_MJS = join(here, '..', 'scenarios', 'programs', 'server.mjs');

/** The watch tests' own network. */
export const WATCH_NETWORK = createTestNetwork({
  namespace: 'egw-watch',
  hostInterface: 'egw-host',
  namespaceInterface: 'egw-inet',
  hostAddress: '198.18.0.1',
  servers: { repo: '198.18.0.10', c2: '198.18.0.12' },
});

/** Whether a command is on PATH. */
export function has(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** What the live watch tests need, missing on this machine (empty: they run). */
export function missingForWatch(extra: readonly string[] = []): string[] {
  return [
    process.platform !== 'linux' ? 'Linux' : '',
    process.getuid?.() !== 0 ? 'root' : '',
    ...['ip', 'perl', 'curl', ...extra].filter((c) => !has(c)),
  ].filter(Boolean);
}

/** Whether the eBPF receiver can run here. */
export function ebpfMissing(): string[] {
  return [
    has('bpftrace') ? '' : 'bpftrace',
    existsSync('/sys/kernel/btf/vmlinux') ? '' : 'kernel BTF',
  ].filter(Boolean);
}

/** A child process whose stdout and stderr are kept and can be waited on. */
export class Watched {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  private waiters: (() => void)[] = [];

  constructor(
    command: string,
    args: readonly string[],
    options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
  ) {
    this.child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    this.child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      this.stdout += d;
      this.wake();
    });
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      this.stderr += d;
      this.wake();
    });
    this.child.on('close', () => this.wake());
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves with the match once `pattern` appears in the stream; rejects after `timeoutMs` or when it exits. */
  async waitFor(stream: 'stdout' | 'stderr', pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = pattern.exec(this[stream]);
      if (m) return m;
      if (this.child.exitCode !== null || this.child.signalCode !== null)
        throw new Error(`exited before ${pattern} appeared in ${stream}:\n${this.stdout}\n${this.stderr}`);
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(
          `${pattern} did not appear in ${stream} within ${timeoutMs} ms:\n${this.stdout}\n${this.stderr}`,
        );
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 1000));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Sends a signal and resolves with the exit code. */
  async stop(signal: NodeJS.Signals = 'SIGINT'): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    const closed = new Promise<number | null>((resolve) => this.child.once('close', (code) => resolve(code)));
    this.child.kill(signal);
    return closed;
  }
}

/** `egressguard ARGS` from source, as a child process. */
export function egressguard(args: readonly string[], cwd: string): Watched {
  return new Watched(
    process.execPath,
    [
      '--experimental-strip-types',
      '--disable-warning=ExperimentalWarning',
      '--conditions=egressguard-source',
      BIN,
      ...args,
    ],
    { cwd, env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: '' } },
  );
}

/** `egressguard ARGS` run to completion; its stdout. */
export function egressguardOutput(args: readonly string[], cwd: string): string {
  return execFileSync(
    process.execPath,
    [
      '--experimental-strip-types',
      '--disable-warning=ExperimentalWarning',
      '--conditions=egressguard-source',
      BIN,
      ...args,
    ],
    {
      cwd,
      encoding: 'utf8',
      env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: '' },
    },
  );
}
