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
    max_line_bytes: z
      .int()
      .positive()
      .default(4096)
      .describe('Longest tracer output line read; longer lines are counted as malformed. Default: 4096.'),
  }),
);
/** Parsed configuration of the `ebpf` receiver. */
export type EbpfReceiverConfig = ReturnType<typeof ebpfReceiverConfig.parse>;

/** Configuration of the `auditd` receiver. */
export const auditdReceiverConfig = defineConfig(
  z.strictObject({
    path: z
      .string()
      .min(1)
      .default('/var/log/audit/audit.log')
      .describe(
        'The audit log to tail; a rotated file (`<path>.1`) is read to its end before the new one. Default: /var/log/audit/audit.log.',
      ),
    start_at: z
      .enum(['end', 'beginning'])
      .default('end')
      .describe(
        'Where to start when the state directory holds no position for this log: its end (only what happens from now) or its beginning. Default: end.',
      ),
    poll_interval_ms: z
      .int()
      .positive()
      .default(250)
      .describe('How often the log is checked for new lines and rotation, in milliseconds. Default: 250.'),
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
