/**
 * What the rules look processes up in, built from the configuration: the process table, the join buffer, and on
 * this host /proc, the socket inodes and the executable hasher. Their own counters are read from here.
 */
import { hostname } from 'node:os';

import type { ProcessAttributionConfig } from '../config.ts';
import { ConnectionJoinBuffer } from './connection-join.ts';
import { ExecutableHasher } from './executable-hasher.ts';
import { ProcessTable } from './process-table.ts';
import { ProcfsReader } from './procfs-reader.ts';
import { SocketInodeResolver } from './socket-inode-resolver.ts';

export interface Sources {
  readonly table: ProcessTable;
  readonly join: ConnectionJoinBuffer;
  /** Only with `procfs.enabled`. */
  readonly procfs: ProcfsReader | undefined;
  /** Only with `procfs.enabled`. */
  readonly sockets: SocketInodeResolver | undefined;
  /** Only with `hashing.enabled`. */
  readonly hasher: ExecutableHasher | undefined;
  /** The host names whose records are about this host's processes. */
  readonly localHosts: ReadonlySet<string>;
}

export function buildSources(config: ProcessAttributionConfig, now: () => number): Sources {
  const table = new ProcessTable({
    maxEntries: config.process_table.max_entries,
    exitRetentionMs: config.process_table.exit_retention_ms,
    lifetimeSlackMs: config.process_table.lifetime_slack_ms,
  });
  const join = new ConnectionJoinBuffer({
    toleranceMs: config.join.tolerance_ms,
    bufferMs: config.join.buffer_ms,
    maxBuffered: config.join.max_buffered,
    scope: config.join.scope,
  });
  const p = config.procfs;
  const localHosts = new Set(p.local_host_names.length > 0 ? p.local_host_names : [hostname()]);
  let procfs: ProcfsReader | undefined;
  let sockets: SocketInodeResolver | undefined;
  if (p.enabled) {
    procfs = new ProcfsReader({
      root: p.root,
      passwdPath: p.passwd_path,
      cacheMaxEntries: p.cache_max_entries,
      cacheTtlMs: p.cache_ttl_ms,
    });
    sockets = new SocketInodeResolver({
      root: p.root,
      maxInodes: p.max_socket_inodes,
      minScanIntervalMs: p.min_fd_scan_interval_ms,
      netTableRefreshMs: p.net_table_refresh_ms,
      now,
    });
  }
  const hasher = config.hashing.enabled
    ? new ExecutableHasher({
        maxFileBytes: config.hashing.max_file_bytes,
        cacheMaxEntries: config.hashing.cache_max_entries,
      })
    : undefined;
  return { table, join, procfs, sockets, hasher, localHosts };
}

/** The running totals the sources keep themselves, by counter name. */
export function sourceCounters(s: Sources): [name: string, total: number][] {
  const totals: [string, number][] = [
    ['process_table_evicted', s.table.evictions],
    ['join_buffer_evicted', s.join.evictions],
  ];
  if (s.sockets) {
    totals.push(
      ['fd_scans', s.sockets.fdScans],
      ['fd_scan_rate_limited', s.sockets.rateLimited],
      ['net_table_reads', s.sockets.netTableReads],
    );
  }
  if (s.hasher) {
    totals.push(
      ['hash_skipped_too_large', s.hasher.skippedTooLarge],
      ['hash_unreadable', s.hasher.unreadable],
      ['files_hashed', s.hasher.filesHashed],
    );
  }
  return totals;
}
