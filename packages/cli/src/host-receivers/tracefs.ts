/**
 * bpftrace resolves tracepoints through tracefs; a fresh machine may not have it mounted, and bpftrace then says
 * "tracepoint not found".
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Mounts tracefs at /sys/kernel/tracing when missing; returns what it did, or `undefined` when nothing was needed. */
export function mountTracefs(): string | undefined {
  if (existsSync('/sys/kernel/tracing/events') || existsSync('/sys/kernel/debug/tracing/events'))
    return undefined;
  try {
    execFileSync('mount', ['-t', 'tracefs', 'nodev', '/sys/kernel/tracing'], { stdio: 'ignore' });
    return 'mounted tracefs at /sys/kernel/tracing';
  } catch (cause) {
    return `tracefs is not mounted and could not be mounted at /sys/kernel/tracing (${(cause as Error).message}): the tracer will not find its tracepoints`;
  }
}
