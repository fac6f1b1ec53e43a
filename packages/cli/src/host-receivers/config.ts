/**
 * The schemas of the host receivers: the `ebpf`, `auditd` and `procfs` receivers read this host's own activity
 * instead of receiving OTLP. Every duration names its unit; unknown keys are errors.
 */
import { defineConfig } from '@egressguard/core';
import { z } from 'zod';

/** Configuration of the `ebpf` receiver. */
export const ebpfReceiverConfig = defineConfig(
  z.strictObject({
    bpftrace_path: z
      .string()
      .min(1)
      .default('bpftrace')
      .describe('The bpftrace program to run (looked up on PATH unless absolute). Default: bpftrace.'),
    restart_min_backoff_ms: z
      .int()
      .positive()
      .default(500)
      .describe(
        'Wait before restarting the tracer after it died; doubled after each death that follows a short run. Default: 500.',
      ),
    restart_max_backoff_ms: z
      .int()
      .positive()
      .default(30_000)
      .describe('Longest wait between restarts, in milliseconds. Default: 30000.'),
    attach_timeout_ms: z
      .int()
      .positive()
      .default(60_000)
      .describe(
        'How long the tracer may take to attach its probes before it is killed and restarted, in milliseconds. Default: 60000.',
      ),
    max_tracked_connections: z
      .int()
      .positive()
      .default(65_536)
      .describe(
        'Connections the tracer follows at once, from SYN to close (bpftrace map size): past this, new connections are not seen until others close. Default: 65536 (bpftrace’s own default, 4096, is small for a busy host).',
      ),
    max_line_bytes: z
      .int()
      .positive()
      .default(4096)
      .describe('Longest tracer output line read; longer lines are counted as malformed. Default: 4096.'),
  }),
);
/** Parsed configuration of the `ebpf` receiver. */
export type EbpfReceiverConfig = ReturnType<typeof ebpfReceiverConfig.parse>;

/** Where auditd writes its log on Debian, Ubuntu, RHEL and their kin. */
export const DEFAULT_AUDIT_LOG = '/var/log/audit/audit.log';

/** The audit log, tailed. */
const auditFileSource = z
  .strictObject({
    type: z.literal('file'),
    path: z
      .string()
      .min(1)
      .default(DEFAULT_AUDIT_LOG)
      .describe(
        'The audit log to tail; rotated files (`<path>.1` …) are read to their end before the new one. Default: /var/log/audit/audit.log.',
      ),
    start_at: z
      .enum(['end', 'beginning'])
      .default('end')
      .describe(
        'Where to start when the state directory holds no position for this log: its end (only what happens from now) or its beginning. Default: end.',
      ),
  })
  .describe('Tail the audit log; the position is kept in the state directory.');

/** The dispatcher's af_unix plugin socket. */
const auditSocketSource = z
  .strictObject({
    type: z.literal('socket'),
    path: z
      .string()
      .min(1)
      .default('/var/run/audispd_events')
      .describe(
        'The UNIX socket of the af_unix plugin (`args = 0640 /var/run/audispd_events string` in /etc/audit/plugins.d/af_unix.conf). Default: /var/run/audispd_events.',
      ),
  })
  .describe(
    'Read the events auditd’s dispatcher writes to its af_unix plugin socket (string format); reconnects when it closes. Nothing is kept across restarts: events while egressguard is down are in the log only.',
  );

/** Configuration of the `auditd` receiver. */
export const auditdReceiverConfig = defineConfig(
  z.strictObject({
    source: z
      .discriminatedUnion('type', [auditFileSource, auditSocketSource])
      .default({ type: 'file', path: DEFAULT_AUDIT_LOG, start_at: 'end' })
      .describe(
        'Where the audit events come from: `{type: file, path, start_at}` (the log, tailed across rotations) or `{type: socket, path}` (the af_unix plugin of auditd’s dispatcher). Default: {type: file, path: /var/log/audit/audit.log, start_at: end}.',
      ),
    poll_interval_ms: z
      .int()
      .positive()
      .default(250)
      .describe(
        'How often new lines are read (and, for the log, rotation checked), in milliseconds. Default: 250.',
      ),
    max_line_bytes: z
      .int()
      .positive()
      .default(65_536)
      .describe(
        'Longest audit line read; longer lines are counted as malformed and skipped. Default: 65536.',
      ),
    rules: z
      .strictObject({
        install: z
          .boolean()
          .default(false)
          .describe(
            'Add audit rules for `connect` and `execve` (64-bit syscalls) at start and remove exactly those at stop. Default: false (the system’s rules are left alone).',
          ),
        key_prefix: z
          .string()
          .regex(/^[A-Za-z0-9_-]{1,24}$/)
          .default('egressguard')
          .describe(
            'Prefix of the rules’ keys (`<prefix>_connect`, `<prefix>_exec`): the rules removed at stop are exactly those with these keys. Default: egressguard.',
          ),
      })
      .prefault({})
      .describe('Audit rules this receiver may manage. Default: none added.'),
  }),
);
/** Parsed configuration of the `auditd` receiver. */
export type AuditdReceiverConfig = ReturnType<typeof auditdReceiverConfig.parse>;

/** Configuration of the `procfs` receiver. */
export const procfsReceiverConfig = defineConfig(
  z.strictObject({
    poll_interval_ms: z
      .int()
      .positive()
      .default(500)
      .describe(
        'How often /proc/net/tcp and /proc/net/tcp6 are read, in milliseconds; connections shorter than this may be missed. Default: 500.',
      ),
    proc_path: z.string().min(1).default('/proc').describe('Where procfs is mounted. Default: /proc.'),
    max_tracked_sockets: z
      .int()
      .positive()
      .default(65_536)
      .describe(
        'Sockets remembered between polls (so each is reported once); past this the oldest are forgotten (counted as sockets_evicted). Default: 65536.',
      ),
  }),
);
/** Parsed configuration of the `procfs` receiver. */
export type ProcfsReceiverConfig = ReturnType<typeof procfsReceiverConfig.parse>;
