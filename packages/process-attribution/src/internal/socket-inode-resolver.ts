/**
 * Finds the process that owns a TCP connection on this host from its 5-tuple: `/proc/net/tcp` and `/proc/net/tcp6`
 * map the local and remote address and port to the socket's inode, and the `socket:[inode]` links in
 * `/proc/<pid>/fd` map the inode to the processes holding it. The fd scan reads every open file of every process,
 * so its results are cached (bounded) and scans are rate-limited and counted.
 */
import { endianness } from 'node:os';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

import { entryBound } from '@egressguard/core';
import { LRUCache } from 'lru-cache';

import { addressFromBytes, canonicalAddress } from '@egressguard/schema';

/** One row of `/proc/net/tcp` or `/proc/net/tcp6`. */
export interface NetTcpEntry {
  /** Local address in canonical form (see `canonicalAddress`). */
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** TCP state as the kernel numbers it (1 ESTABLISHED, 2 SYN_SENT, 6 TIME_WAIT, 10 LISTEN, …). */
  readonly state: number;
  /** Socket inode; 0 for sockets no process owns any more (TIME_WAIT). */
  readonly inode: number;
}

/** A connection's addresses from the point of view of this host. */
export interface SocketTuple {
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
}

/** What the resolver found for a 5-tuple. */
export type SocketLookup =
  | { readonly kind: 'found'; readonly inode: number; readonly pids: readonly number[] }
  /** No socket with that 5-tuple exists now (closed, or not on this host). */
  | { readonly kind: 'no_socket' }
  /** The socket exists but no process holds it (TIME_WAIT, or the owner already exited). */
  | { readonly kind: 'no_owner'; readonly inode: number }
  /** The inode was not cached and a scan of /proc/*\/fd ran too recently to run again. */
  | { readonly kind: 'rate_limited'; readonly inode: number };

/** Options of {@link SocketInodeResolver}. */
export interface SocketInodeResolverOptions {
  /** Mount point of procfs. Default `/proc`. */
  readonly root?: string;
  /** Inode to owner entries cached. Default 65536. */
  readonly maxInodes?: number;
  /** Least time between two fd scans, ms. Default 500. */
  readonly minScanIntervalMs?: number;
  /** Least time between two reads of the net tables when a 5-tuple is missing, ms. Default 100. */
  readonly netTableRefreshMs?: number;
  /** Processing-time clock, Unix ms. Default `Date.now`. */
  readonly now?: () => number;
}

const LITTLE_ENDIAN = endianness() === 'LE';
const SOCKET_LINK = /^socket:\[(\d+)\]$/;

/**
 * Decodes an address column: the kernel prints each 32-bit word of the address with `%08X` in host byte order,
 * so on little-endian machines every 4-byte group is reversed (`0100007F` is 127.0.0.1).
 */
export function decodeProcNetAddress(hex: string): string | undefined {
  if (hex.length !== 8 && hex.length !== 32) return undefined;
  const bytes = new Uint8Array(hex.length / 2);
  for (let word = 0; word < hex.length / 8; word++) {
    for (let b = 0; b < 4; b++) {
      const src = LITTLE_ENDIAN ? 3 - b : b;
      const value = parseInt(hex.slice(word * 8 + src * 2, word * 8 + src * 2 + 2), 16);
      if (Number.isNaN(value)) return undefined;
      bytes[word * 4 + b] = value;
    }
  }
  if (bytes.length === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  return addressFromBytes(bytes).address;
}

/** Parses the content of `/proc/net/tcp` or `/proc/net/tcp6`; malformed rows are skipped. */
export function parseProcNetTcp(content: string): NetTcpEntry[] {
  const out: NetTcpEntry[] = [];
  const lines = content.split('\n');
  for (let i = 1; i < lines.length; i++) {
    // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode …
    const fields = lines[i].trim().split(/\s+/);
    if (fields.length < 10) continue;
    const [local, remote] = [fields[1].split(':'), fields[2].split(':')];
    const localAddress = decodeProcNetAddress(local[0] ?? '');
    const remoteAddress = decodeProcNetAddress(remote[0] ?? '');
    const localPort = parseInt(local[1] ?? '', 16);
    const remotePort = parseInt(remote[1] ?? '', 16);
    const state = parseInt(fields[3], 16);
    const inode = Number(fields[9]);
    if (localAddress === undefined || remoteAddress === undefined) continue;
    if ([localPort, remotePort, state, inode].some((n) => !Number.isSafeInteger(n))) continue;
    out.push({ localAddress, localPort, remoteAddress, remotePort, state, inode });
  }
  return out;
}

function tupleKey(
  localAddress: string,
  localPort: number,
  remoteAddress: string,
  remotePort: number,
): string {
  return `${localAddress}|${localPort}|${remoteAddress}|${remotePort}`;
}

interface Owner {
  readonly pid: number;
  readonly fd: number;
}

/** Resolves 5-tuples to socket inodes and inodes to the pids that hold them. */
export class SocketInodeResolver {
  readonly root: string;
  private readonly minScanIntervalMs: number;
  private readonly netTableRefreshMs: number;
  private readonly now: () => number;
  private readonly owners: LRUCache<number, Owner[]>;
  private table = new Map<string, number>();
  private tableReadAt = Number.NEGATIVE_INFINITY;
  private lastScanAt = Number.NEGATIVE_INFINITY;
  /** Reads of the net tables. */
  netTableReads = 0;
  /** Scans of /proc/*\/fd. */
  fdScans = 0;
  /** Lookups refused because a scan ran too recently. */
  rateLimited = 0;

  constructor(options: SocketInodeResolverOptions = {}) {
    this.root = options.root ?? '/proc';
    this.minScanIntervalMs = options.minScanIntervalMs ?? 500;
    this.netTableRefreshMs = options.netTableRefreshMs ?? 100;
    this.now = options.now ?? Date.now;
    this.owners = new LRUCache(entryBound(options.maxInodes ?? 65_536));
  }

  /** Cached inode owners. */
  get cacheSize(): number {
    return this.owners.size;
  }

  /** The inode of the socket with that 5-tuple now, or `undefined`. Addresses may be in any textual form. */
  inodeOf(tuple: SocketTuple): number | undefined {
    const local = canonicalAddress(tuple.localAddress);
    const remote = canonicalAddress(tuple.remoteAddress);
    if (local === undefined || remote === undefined) return undefined;
    const key = tupleKey(local, tuple.localPort, remote, tuple.remotePort);
    let inode = this.table.get(key);
    if (inode === undefined && this.now() - this.tableReadAt >= this.netTableRefreshMs) {
      this.readTables();
      inode = this.table.get(key);
    }
    return inode;
  }

  /** The pids holding a socket inode, from the cache (checked) or a scan of /proc/*\/fd. */
  pidsOf(inode: number): readonly number[] | 'rate_limited' {
    const cached = this.owners.get(inode);
    if (cached && cached.every((o) => this.stillHolds(o, inode))) return cached.map((o) => o.pid);
    if (cached) this.owners.delete(inode);
    const now = this.now();
    if (now - this.lastScanAt < this.minScanIntervalMs) {
      this.rateLimited += 1;
      return 'rate_limited';
    }
    this.lastScanAt = now;
    this.scan();
    return this.owners.get(inode)?.map((o) => o.pid) ?? [];
  }

  /** The owner of a connection on this host now. */
  resolve(tuple: SocketTuple): SocketLookup {
    const inode = this.inodeOf(tuple);
    if (inode === undefined) return { kind: 'no_socket' };
    if (inode === 0) return { kind: 'no_owner', inode };
    const pids = this.pidsOf(inode);
    if (pids === 'rate_limited') return { kind: 'rate_limited', inode };
    if (pids.length === 0) return { kind: 'no_owner', inode };
    return { kind: 'found', inode, pids };
  }

  private readTables(): void {
    const table = new Map<string, number>();
    for (const file of ['tcp', 'tcp6']) {
      let content: string;
      try {
        content = readFileSync(`${this.root}/net/${file}`, 'utf8');
      } catch {
        continue;
      }
      for (const e of parseProcNetTcp(content)) {
        const key = tupleKey(e.localAddress, e.localPort, e.remoteAddress, e.remotePort);
        // A listening socket and a connection cannot share a 4-tuple, but a TIME_WAIT row (inode 0) may linger
        // beside a new connection of the same 4-tuple: the owned socket wins.
        if (!table.get(key)) table.set(key, e.inode);
      }
    }
    this.table = table;
    this.tableReadAt = this.now();
    this.netTableReads += 1;
  }

  private scan(): void {
    this.fdScans += 1;
    const found = new Map<number, Owner[]>();
    let pids: string[];
    try {
      pids = readdirSync(this.root);
    } catch {
      return;
    }
    for (const name of pids) {
      if (!/^\d+$/.test(name)) continue;
      const pid = Number(name);
      let fds: string[];
      try {
        fds = readdirSync(`${this.root}/${name}/fd`);
      } catch {
        continue; // exited during the scan, or not ours to read
      }
      for (const fd of fds) {
        let link: string;
        try {
          link = readlinkSync(`${this.root}/${name}/fd/${fd}`);
        } catch {
          continue;
        }
        const match = SOCKET_LINK.exec(link);
        if (!match) continue;
        const inode = Number(match[1]);
        const owner = { pid, fd: Number(fd) };
        const list = found.get(inode);
        if (!list) found.set(inode, [owner]);
        else if (!list.some((o) => o.pid === pid)) list.push(owner);
      }
    }
    for (const [inode, owners] of found) this.owners.set(inode, owners);
  }

  private stillHolds(owner: Owner, inode: number): boolean {
    try {
      return readlinkSync(`${this.root}/${owner.pid}/fd/${owner.fd}`) === `socket:[${inode}]`;
    } catch {
      return false;
    }
  }
}
