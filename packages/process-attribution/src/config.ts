/**
 * Configuration of the process-attribution enricher: the rule order, the process table, the cross-sensor join,
 * live `/proc` lookups and executable hashing.
 */
import { defineConfig, type ConfigDefinition } from '@egressguard/core';
import { z } from 'zod';

/** The association rules, tried in the configured order; the first that attributes the record wins. */
export const ATTRIBUTION_RULES = ['pid', 'join', 'procfs', 'socket'] as const;
/** One association rule. */
export type AttributionRule = (typeof ATTRIBUTION_RULES)[number];

const processTable = z
  .strictObject({
    max_entries: z
      .int()
      .min(1)
      .default(65_536)
      .describe(
        'Processes kept in the table across all hosts; the least recently used go first. Default: 65536.',
      ),
    exit_retention_ms: z
      .int()
      .min(0)
      .default(300_000)
      .describe(
        'How long (event time) a process stays in the table after its exit record, so that late connection records still find it. Default: 300000.',
      ),
    lifetime_slack_ms: z
      .int()
      .min(0)
      .default(1_000)
      .describe(
        'Clock slack allowed around a lifetime when matching a connection time to a process (sensors stamp times differently). Default: 1000.',
      ),
  })
  .default({ max_entries: 65_536, exit_retention_ms: 300_000, lifetime_slack_ms: 1_000 })
  .describe('The process table fed by process exec and exit records.');

const join = z
  .strictObject({
    tolerance_ms: z
      .int()
      .min(0)
      .default(2_000)
      .describe('Largest difference in event time between two records of one connection. Default: 2000.'),
    wait_ms: z
      .int()
      .min(0)
      .default(5_000)
      .describe(
        "How long (event time, against the host's watermark) a record no rule could attribute waits for a partner that carries a pid; 0 matches only against records already seen. Default: 5000.",
      ),
    max_wait_processing_ms: z
      .int()
      .min(1)
      .default(30_000)
      .describe(
        'Processing-time cap on that wait, so a quiet host does not hold records forever. Default: 30000.',
      ),
    buffer_ms: z
      .int()
      .min(0)
      .default(60_000)
      .describe('How long (event time) connection records that carried a pid stay joinable. Default: 60000.'),
    max_buffered: z
      .int()
      .min(1)
      .default(100_000)
      .describe(
        'Connection records that carried a pid kept for joining, across hosts; oldest go first. Default: 100000.',
      ),
    max_held: z
      .int()
      .min(1)
      .default(10_000)
      .describe(
        'Records held waiting for a partner; past it the oldest are released unattributed. Default: 10000.',
      ),
    scope: z
      .enum(['host', 'global'])
      .default('host')
      .describe(
        "`host`: join only records of the same host.name. `global`: a full 5-tuple match may join records of different hosts (a network sensor reporting under its own name); the match without source port stays per host. Default: 'host'.",
      ),
  })
  .default({
    tolerance_ms: 2_000,
    wait_ms: 5_000,
    max_wait_processing_ms: 30_000,
    buffer_ms: 60_000,
    max_buffered: 100_000,
    max_held: 10_000,
    scope: 'host',
  })
  .describe(
    'The join of records without a process to connection records of another sensor that carried one.',
  );

const procfs = z
  .strictObject({
    enabled: z
      .boolean()
      .default(false)
      .describe(
        'Read /proc live for records of this host (the pid and socket rules). Off by default: replayed records are not about the processes running now. Default: false.',
      ),
    root: z.string().min(1).default('/proc').describe("Mount point of procfs. Default: '/proc'."),
    passwd_path: z
      .string()
      .min(1)
      .default('/etc/passwd')
      .describe("User database for user names of uids. Default: '/etc/passwd'."),
    local_host_names: z
      .array(z.string().min(1))
      .default([])
      .describe(
        'host.name values that mean "this machine", for live lookups and for hashing executables by path (which needs no procfs); empty means the name os.hostname() returns. Default: [].',
      ),
    max_event_age_ms: z
      .int()
      .min(0)
      .default(60_000)
      .describe(
        'Live lookups only for records whose event time is at most this old (processing time): /proc only knows the present. Default: 60000.',
      ),
    cache_max_entries: z
      .int()
      .min(1)
      .default(4_096)
      .describe('Processes whose /proc details are cached, keyed by pid and start time. Default: 4096.'),
    cache_ttl_ms: z
      .int()
      .min(1)
      .default(30_000)
      .describe('How long cached /proc details are trusted (processing time). Default: 30000.'),
    max_socket_inodes: z
      .int()
      .min(1)
      .default(65_536)
      .describe('Socket inode to pid entries cached from /proc/*/fd scans. Default: 65536.'),
    min_fd_scan_interval_ms: z
      .int()
      .min(0)
      .default(500)
      .describe(
        'Least time between two scans of /proc/*/fd (they read every open file of every process); lookups in between that miss the cache are counted and left unattributed. Default: 500.',
      ),
    net_table_refresh_ms: z
      .int()
      .min(0)
      .default(100)
      .describe(
        'Least time between two reads of /proc/net/tcp and tcp6 when a 5-tuple is not found. Default: 100.',
      ),
  })
  .default({
    enabled: false,
    root: '/proc',
    passwd_path: '/etc/passwd',
    local_host_names: [],
    max_event_age_ms: 60_000,
    cache_max_entries: 4_096,
    cache_ttl_ms: 30_000,
    max_socket_inodes: 65_536,
    min_fd_scan_interval_ms: 500,
    net_table_refresh_ms: 100,
  })
  .describe('Live lookups in /proc on the host itself.');

const hashing = z
  .strictObject({
    enabled: z
      .boolean()
      .default(false)
      .describe('Write the SHA-256 of the executable when it is readable on this machine. Default: false.'),
    max_file_bytes: z
      .int()
      .min(1)
      .default(67_108_864)
      .describe(
        'Executables larger than this are not hashed (counted as hash_skipped_too_large). Default: 67108864.',
      ),
    cache_max_entries: z
      .int()
      .min(1)
      .default(4_096)
      .describe('Hashes cached by device, inode, size and modification time. Default: 4096.'),
  })
  .default({ enabled: false, max_file_bytes: 67_108_864, cache_max_entries: 4_096 })
  .describe('SHA-256 of executables.');

const schema = z.strictObject({
  max_clock_skew_ms: z
    .number()
    .int()
    .min(0)
    .default(3_600_000)
    .describe(
      "A record dated more than this ahead of processing time (a host whose clock is wrong) is still attributed but does not move its host's event time, against which exited processes, join candidates and held records age; counted as `future_event_time`. 0 turns the bound off. Default: 3600000.",
    ),
  rules: z
    .array(z.enum(ATTRIBUTION_RULES))
    .min(1)
    .default([...ATTRIBUTION_RULES])
    .refine((rules) => new Set(rules).size === rules.length, { message: 'each rule may appear once' })
    .describe(
      "Association rules in the order they are tried; the first that attributes a record wins. `pid`: the process table, by pid within the process's lifetime. `join`: another sensor's connection record with a pid, by 5-tuple (or host, destination and time) within join.tolerance_ms. `procfs`: /proc/<pid> on this host. `socket`: the socket inode of the 5-tuple on this host. Default: ['pid','join','procfs','socket'].",
    ),
  process_table: processTable,
  join,
  procfs,
  hashing,
});

/** The validated configuration of the process-attribution enricher. */
export type ProcessAttributionConfig = z.output<typeof schema>;

/** The configuration definition: schema, defaults, JSON Schema. */
export const processAttributionConfig: ConfigDefinition<ProcessAttributionConfig> = defineConfig(schema);
