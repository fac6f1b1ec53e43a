/**
 * The `procfs` receiver: the fallback that needs nothing beyond reading /proc. It polls `/proc/net/tcp` and
 * `/proc/net/tcp6` for sockets this host opened (an ephemeral local port, a remote listener), finds each socket's
 * process through the socket inodes in `/proc/<pid>/fd`, and emits one connection record per socket, the first time
 * it sees it. Its blind spots are real and reported as such: a connection opened and closed between two polls is
 * never seen, and /proc/net/tcp carries no byte counts.
 */
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

import { containerIdFromCgroup, decodeProcNetAddress } from '@egressguard/process-attribution';
import {
  ConnectionAttr,
  EventName,
  NetworkAttr,
  Outcome,
  ProcessAttr,
  ProvenanceAttr,
  msToHrTime,
  PipelineRecord,
  type RecordAttributes,
} from '@egressguard/schema';

import type { ProcfsReceiverConfig } from './config.ts';
import type { HostReceiver, HostReceiverContext } from './host-receiver.ts';
import { liveReceiverBatcher, type RecordBatcher } from './record-batcher.ts';

/** `egressguard.source.format` of the `procfs` receiver's records. */
export const PROCFS_SOURCE = 'procfs';

const SCOPE = { name: '@egressguard/cli/procfs-receiver' };
/** TCP states in /proc/net/tcp (include/net/tcp_states.h). */
const TCP_ESTABLISHED = 0x01;
const TCP_SYN_SENT = 0x02;

/** One socket line of /proc/net/tcp{,6}. */
export interface ProcNetTcpEntry {
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly state: number;
  readonly uid: number;
  readonly inode: number;
}

/** Parses the text of /proc/net/tcp or /proc/net/tcp6; lines it cannot read are counted in `malformed`. */
export function parseProcNetTcp(
  text: string,
  v6: boolean,
): { entries: ProcNetTcpEntry[]; malformed: number } {
  const entries: ProcNetTcpEntry[] = [];
  let malformed = 0;
  const lines = text.split('\n');
  for (const line of lines.slice(1)) {
    if (line.trim() === '') continue;
    const f = line.trim().split(/\s+/);
    const local = /^([0-9A-F]+):([0-9A-F]{4})$/.exec(f[1] ?? '');
    const remote = /^([0-9A-F]+):([0-9A-F]{4})$/.exec(f[2] ?? '');
    const width = v6 ? 32 : 8;
    if (!local || !remote || local[1].length !== width || remote[1].length !== width || f.length < 10) {
      malformed++;
      continue;
    }
    const localAddress = decodeProcNetAddress(local[1]);
    const remoteAddress = decodeProcNetAddress(remote[1]);
    if (localAddress === undefined || remoteAddress === undefined) {
      malformed++;
      continue;
    }
    entries.push({
      localAddress,
      localPort: Number.parseInt(local[2], 16),
      remoteAddress,
      remotePort: Number.parseInt(remote[2], 16),
      state: Number.parseInt(f[3], 16),
      uid: Number(f[7]),
      inode: Number(f[9]),
    });
  }
  return { entries, malformed };
}

/** Polls /proc for TCP sockets. */
export class ProcfsReceiver implements HostReceiver {
  readonly blindSpots = [
    'Connections opened and closed between two polls are never seen (most short HTTP requests).',
    'No byte counts and no outcome: /proc/net/tcp shows the socket, not what went over it.',
    'Sockets of processes in other network namespaces (containers with their own network) are not in this host’s /proc/net/tcp.',
    ...(process.getuid?.() === 0
      ? []
      : ['Not root: the sockets of other users’ processes are seen, but not which process holds them.']),
  ];
  private readonly config: ProcfsReceiverConfig;
  private readonly context: HostReceiverContext;
  private readonly batcher: RecordBatcher;
  /** Socket inodes already reported, oldest first (a Map keeps insertion order). */
  private readonly seen = new Map<number, true>();
  private readonly tally = new Map<string, number>();
  private ephemeral = { low: 32768, high: 60999 };
  private timer: NodeJS.Timeout | undefined;
  private stopped: Promise<void> | undefined;

  constructor(config: ProcfsReceiverConfig, context: HostReceiverContext) {
    this.config = config;
    this.context = context;
    this.batcher = liveReceiverBatcher(context.id, context.onRecords);
  }

  counters(): Readonly<Record<string, number>> {
    return {
      ...Object.fromEntries(this.tally),
      records_delivered: this.batcher.delivered,
      records_dropped_queue_full: this.batcher.dropped,
    };
  }

  start(): Promise<void> {
    const { proc_path: proc } = this.config;
    try {
      readFileSync(`${proc}/net/tcp`, 'utf8');
    } catch (cause) {
      return Promise.reject(
        new Error(`egressguard: receiver ${this.context.id}: cannot read ${proc}/net/tcp`, { cause }),
      );
    }
    try {
      const [low, high] = readFileSync(`${proc}/sys/net/ipv4/ip_local_port_range`, 'utf8')
        .trim()
        .split(/\s+/)
        .map(Number);
      if (Number.isInteger(low) && Number.isInteger(high) && low <= high) this.ephemeral = { low, high };
    } catch {
      // Linux's default range stays.
    }
    // Sockets already open at start are reported too: the first poll is the host's state now.
    this.poll();
    this.batcher.start();
    // Not unref'd: like a listening socket, a running receiver keeps the process alive until stop() clears it.
    this.timer = setInterval(() => this.poll(), this.config.poll_interval_ms);
    return Promise.resolve();
  }

  stop(): Promise<void> {
    this.stopped ??= (async () => {
      clearInterval(this.timer);
      await this.batcher.stop();
    })();
    return this.stopped;
  }

  private count(key: string, n = 1): void {
    if (n !== 0) this.tally.set(key, (this.tally.get(key) ?? 0) + n);
  }

  private poll(): void {
    const now = Date.now();
    const fresh: ProcNetTcpEntry[] = [];
    for (const [file, v6] of [
      ['tcp', false],
      ['tcp6', true],
    ] as const) {
      let text: string;
      try {
        text = readFileSync(`${this.config.proc_path}/net/${file}`, 'utf8');
      } catch {
        continue; // No IPv6 on this kernel.
      }
      const { entries, malformed } = parseProcNetTcp(text, v6);
      this.count('malformed', malformed);
      for (const e of entries) {
        if (e.inode === 0 || this.seen.has(e.inode)) continue;
        if (e.state !== TCP_ESTABLISHED && e.state !== TCP_SYN_SENT) continue;
        if (!this.outbound(e)) continue;
        fresh.push(e);
      }
    }
    this.count('polls');
    if (fresh.length === 0) return;
    const owners = this.socketOwners(new Set(fresh.map((e) => e.inode)));
    const records: PipelineRecord[] = [];
    for (const e of fresh) {
      this.seen.set(e.inode, true);
      records.push(this.record(e, owners.get(e.inode), now));
    }
    while (this.seen.size > this.config.max_tracked_sockets) {
      this.seen.delete(this.seen.keys().next().value!);
      this.count('sockets_evicted');
    }
    this.count('connections', records.length);
    this.batcher.add(records);
  }

  private outbound(e: ProcNetTcpEntry): boolean {
    const eph = (p: number) => p >= this.ephemeral.low && p <= this.ephemeral.high;
    return eph(e.localPort) && !eph(e.remotePort);
  }

  /** pid, and container, of each socket inode, found in /proc/<pid>/fd; inodes no process holds are left out. */
  private socketOwners(inodes: ReadonlySet<number>): Map<number, { pid: number; container?: string }> {
    const owners = new Map<number, { pid: number; container?: string }>();
    const proc = this.config.proc_path;
    let pids: string[];
    try {
      pids = readdirSync(proc).filter((n) => /^\d+$/.test(n));
    } catch {
      return owners;
    }
    for (const pid of pids) {
      let fds: string[];
      try {
        fds = readdirSync(`${proc}/${pid}/fd`);
      } catch {
        continue; // Gone, or not ours to read without root.
      }
      for (const fd of fds) {
        let target: string;
        try {
          target = readlinkSync(`${proc}/${pid}/fd/${fd}`);
        } catch {
          continue;
        }
        const m = /^socket:\[(\d+)\]$/.exec(target);
        if (!m) continue;
        const inode = Number(m[1]);
        if (!inodes.has(inode) || owners.has(inode)) continue;
        let container: string | undefined;
        try {
          container = containerIdFromCgroup(readFileSync(`${proc}/${pid}/cgroup`, 'utf8'));
        } catch {
          container = undefined;
        }
        owners.set(inode, { pid: Number(pid), ...(container ? { container } : {}) });
      }
      if (owners.size === inodes.size) break;
    }
    this.count('sockets_without_process', inodes.size - owners.size);
    return owners;
  }

  private record(
    e: ProcNetTcpEntry,
    owner: { pid: number; container?: string } | undefined,
    now: number,
  ): PipelineRecord {
    const attributes: RecordAttributes = {
      [NetworkAttr.TRANSPORT]: 'tcp',
      [NetworkAttr.TYPE]: e.localAddress.includes(':') ? 'ipv6' : 'ipv4',
      [NetworkAttr.SOURCE_ADDRESS]: e.localAddress,
      [NetworkAttr.SOURCE_PORT]: e.localPort,
      [NetworkAttr.DESTINATION_ADDRESS]: e.remoteAddress,
      [NetworkAttr.DESTINATION_PORT]: e.remotePort,
      // Seen alive at poll time: neither its end nor its bytes are known.
      [ConnectionAttr.OUTCOME]: e.state === TCP_ESTABLISHED ? Outcome.OPEN : Outcome.UNKNOWN,
      [ProcessAttr.USER_ID]: e.uid,
      [ProvenanceAttr.SOURCE_FORMAT]: PROCFS_SOURCE,
    };
    if (owner) {
      attributes[ProcessAttr.PID] = owner.pid;
      if (owner.container) attributes[ProcessAttr.CONTAINER_ID] = owner.container;
    }
    return new PipelineRecord({
      hrTime: msToHrTime(now),
      hrTimeObserved: msToHrTime(now),
      eventName: EventName.CONNECTION,
      attributes,
      resource: this.context.resource,
      instrumentationScope: SCOPE,
    });
  }
}
