/**
 * Reads what `/proc/<pid>` says about a live process: executable, command line, effective user, parent, start
 * time and container. The start time comes from `/proc/<pid>/stat` field 22 (`starttime`, "the time the process
 * started after system boot … expressed in clock ticks", proc(5)) plus the boot time (`btime` in `/proc/stat`), so
 * a pid that was handed out again is told apart from the process a record is about.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import { basename } from 'node:path';

import { entryBound } from '@egressguard/core';
import { LRUCache } from 'lru-cache';

import { containerIdFromCgroup } from './container-id.ts';
import { UserNames } from './user-names.ts';

/** `PF_KTHREAD` in the per-process flags (stat field 9), include/linux/sched.h: "I am a kernel thread". */
export const PF_KTHREAD = 0x00200000;

const DELETED_SUFFIX = ' (deleted)';

/** The fields of `/proc/<pid>/stat` the reader uses. */
export interface ProcStat {
  readonly pid: number;
  /** The kernel's short name of the task (`comm`, at most 15 bytes). */
  readonly comm: string;
  readonly state: string;
  readonly ppid: number;
  readonly flags: number;
  /** Start time in clock ticks since boot. */
  readonly startTicks: number;
}

/** What `/proc` says about one process. */
export interface ProcfsProcess {
  readonly pid: number;
  readonly ppid: number;
  readonly comm: string;
  /** Start time, Unix ms (to the clock tick, on a boot time known to the second). */
  readonly startMs: number;
  /** {@link ProcfsProcess.startMs} as ISO 8601, the form of `process.creation.time`. */
  readonly creationTime: string;
  /** The task is a kernel thread (PF_KTHREAD): it has no executable and no command line. */
  readonly kernelThread: boolean;
  /** Target of `/proc/<pid>/exe`, without the ` (deleted)` suffix; absent when unreadable (zombie, permissions). */
  readonly executablePath?: string;
  /** `/proc/<pid>/exe` ended in ` (deleted)`: the file was removed or replaced after the process started. */
  readonly executableDeleted: boolean;
  /** `/proc/<pid>/cmdline`, arguments joined by spaces; absent when empty. */
  readonly commandLine?: string;
  /** Effective uid (second field of `Uid:` in `/proc/<pid>/status`). */
  readonly uid?: number;
  /** User name of the effective uid. */
  readonly owner?: string;
  /** Container id from `/proc/<pid>/cgroup`. */
  readonly containerId?: string;
}

/** Options of {@link ProcfsReader}. */
export interface ProcfsReaderOptions {
  /** Mount point of procfs. Default `/proc`. */
  readonly root?: string;
  /** passwd(5) file for user names. Default `/etc/passwd`. */
  readonly passwdPath?: string;
  /** Clock ticks per second (`getconf CLK_TCK`). Default: asked of getconf once, 100 if that fails. */
  readonly clockTicksPerSecond?: number;
  /** Processes cached, keyed by pid and start ticks. Default 4096. */
  readonly cacheMaxEntries?: number;
  /** How long cached details are trusted, ms. Default 30000. */
  readonly cacheTtlMs?: number;
}

let systemClockTicks: number | undefined;

/** `getconf CLK_TCK`, asked once per process; 100 (the value on every common Linux architecture) if it fails. */
export function clockTicksPerSecond(): number {
  if (systemClockTicks === undefined) {
    try {
      const value = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', timeout: 2_000 }).trim());
      systemClockTicks = Number.isSafeInteger(value) && value > 0 ? value : 100;
    } catch {
      systemClockTicks = 100;
    }
  }
  return systemClockTicks;
}

/** Parses `/proc/<pid>/stat`. The comm field is in parentheses and may itself contain spaces and parentheses. */
export function parseProcStat(content: string): ProcStat | undefined {
  const open = content.indexOf('(');
  const close = content.lastIndexOf(')');
  if (open === -1 || close < open) return undefined;
  const pid = Number(content.slice(0, open).trim());
  // After the comm: field 3 (state) is rest[0], so field n is rest[n - 3].
  const rest = content
    .slice(close + 2)
    .trim()
    .split(' ');
  const ppid = Number(rest[1]);
  const flags = Number(rest[6]);
  const startTicks = Number(rest[19]);
  if (![pid, ppid, flags, startTicks].every(Number.isSafeInteger)) return undefined;
  return { pid, comm: content.slice(open + 1, close), state: rest[0] ?? '', ppid, flags, startTicks };
}

/** Reads `/proc/<pid>` with a bounded cache keyed by pid and start time. */
export class ProcfsReader {
  /** Mount point of procfs. */
  readonly root: string;
  private readonly ticksPerSecond: number;
  private readonly users: UserNames;
  private readonly cache: LRUCache<string, ProcfsProcess>;
  private bootMs: number | undefined;
  /** Full reads of a process (cache misses). */
  reads = 0;
  /** Lookups answered from the cache (after re-reading the stat line to check the pid was not reused). */
  cacheHits = 0;

  constructor(options: ProcfsReaderOptions = {}) {
    this.root = options.root ?? '/proc';
    this.ticksPerSecond = options.clockTicksPerSecond ?? clockTicksPerSecond();
    this.users = new UserNames(options.passwdPath ?? '/etc/passwd', options.cacheTtlMs ?? 30_000);
    this.cache = new LRUCache({
      ...entryBound(options.cacheMaxEntries ?? 4_096),
      ttl: options.cacheTtlMs ?? 30_000,
    });
  }

  /** Boot time, Unix ms, from `btime` in `<root>/stat`; `undefined` when unreadable. */
  bootTimeMs(): number | undefined {
    if (this.bootMs === undefined) {
      const stat = readText(`${this.root}/stat`);
      const match = stat === undefined ? null : /^btime\s+(\d+)$/m.exec(stat);
      if (match) this.bootMs = Number(match[1]) * 1000;
    }
    return this.bootMs;
  }

  /** The stat line of a pid, or `undefined` when no such process exists (or it is unreadable). */
  stat(pid: number): ProcStat | undefined {
    const content = readText(`${this.root}/${pid}/stat`);
    return content === undefined ? undefined : parseProcStat(content);
  }

  /** Start time of a pid's current process in Unix ms, from its stat line. */
  startMs(stat: ProcStat): number | undefined {
    const boot = this.bootTimeMs();
    return boot === undefined ? undefined : boot + Math.round((stat.startTicks * 1000) / this.ticksPerSecond);
  }

  /** What `/proc` says about the process holding `pid` now, or `undefined` when there is none. */
  read(pid: number): ProcfsProcess | undefined {
    const stat = this.stat(pid);
    if (!stat) return undefined;
    const key = `${pid}:${stat.startTicks}`;
    const cached = this.cache.get(key);
    if (cached) {
      this.cacheHits += 1;
      return cached;
    }
    const startMs = this.startMs(stat);
    if (startMs === undefined) return undefined;
    this.reads += 1;
    const dir = `${this.root}/${pid}`;
    const kernelThread = (stat.flags & PF_KTHREAD) !== 0;
    let executablePath: string | undefined;
    let executableDeleted = false;
    if (!kernelThread) {
      const link = readLink(`${dir}/exe`);
      if (link !== undefined) {
        executableDeleted = link.endsWith(DELETED_SUFFIX);
        executablePath = executableDeleted ? link.slice(0, -DELETED_SUFFIX.length) : link;
      }
    }
    const cmdline = kernelThread ? undefined : readText(`${dir}/cmdline`);
    const commandLine = cmdline?.replace(/\0+$/, '').split('\0').join(' ');
    const uidMatch = /^Uid:\s+\d+\s+(\d+)/m.exec(readText(`${dir}/status`) ?? '');
    const uid = uidMatch ? Number(uidMatch[1]) : undefined;
    const owner = uid === undefined ? undefined : this.users.name(uid);
    const cgroup = readText(`${dir}/cgroup`);
    const containerId = cgroup === undefined ? undefined : containerIdFromCgroup(cgroup);
    const process: ProcfsProcess = {
      pid,
      ppid: stat.ppid,
      comm: stat.comm,
      startMs,
      creationTime: new Date(startMs).toISOString(),
      kernelThread,
      executableDeleted,
      ...(executablePath !== undefined ? { executablePath } : {}),
      ...(commandLine ? { commandLine } : {}),
      ...(uid !== undefined ? { uid } : {}),
      ...(owner !== undefined ? { owner } : {}),
      ...(containerId !== undefined ? { containerId } : {}),
    };
    this.cache.set(key, process);
    return process;
  }

  /** Cached processes. */
  get cacheSize(): number {
    return this.cache.size;
  }
}

/** The file name of an executable path. */
export function executableName(path: string): string {
  return basename(path);
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function readLink(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}
