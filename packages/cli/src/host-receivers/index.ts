/**
 * Receivers that read this host itself: `ebpf` (bpftrace, exact bytes), `auditd` (the audit log) and `procfs`
 * (/proc polling, no privilege). Configured in `receivers:` like the `otlp` receiver; `egressguard watch` picks the
 * best one available.
 */
import type { ConfigDefinition } from '@egressguard/core';

import { AuditdReceiver } from './auditd-receiver.ts';
import {
  auditdReceiverConfig,
  ebpfReceiverConfig,
  procfsReceiverConfig,
  type AuditdReceiverConfig,
  type EbpfReceiverConfig,
  type ProcfsReceiverConfig,
} from './config.ts';
import { EbpfReceiver } from './ebpf-receiver.ts';
import type { HostReceiver, HostReceiverContext } from './host-receiver.ts';
import { ProcfsReceiver } from './procfs-receiver.ts';

/** The host receiver types, by type name, best first. */
export const HOST_RECEIVER_TYPES: Readonly<Record<string, ConfigDefinition<unknown>>> = {
  ebpf: ebpfReceiverConfig,
  auditd: auditdReceiverConfig,
  procfs: procfsReceiverConfig,
};

/** Whether a receiver type reads this host (rather than listening for OTLP). */
export function isHostReceiverType(type: string): boolean {
  return Object.hasOwn(HOST_RECEIVER_TYPES, type);
}

/** Creates a host receiver of a type {@link isHostReceiverType} accepts, from its parsed configuration. */
export function createHostReceiver(
  type: string,
  config: unknown,
  context: HostReceiverContext,
): HostReceiver {
  switch (type) {
    case 'ebpf':
      return new EbpfReceiver(config as EbpfReceiverConfig, context);
    case 'auditd':
      return new AuditdReceiver(config as AuditdReceiverConfig, context);
    case 'procfs':
      return new ProcfsReceiver(config as ProcfsReceiverConfig, context);
    default:
      throw new Error(`egressguard: ${type} is not a host receiver type`);
  }
}

export { AuditdReceiver, auditdAvailable } from './auditd-receiver.ts';
export { EbpfReceiver, ebpfAvailable, EBPF_EXEC_SOURCE } from './ebpf-receiver.ts';
export { ProcfsReceiver, PROCFS_SOURCE, parseProcNetTcp } from './procfs-receiver.ts';
export type { ProcNetTcpEntry } from './procfs-receiver.ts';
export { containerIdFromCgroup, containerIdOf } from './container-id.ts';
export { LogTail } from './log-tail.ts';
export type { LogTailOptions, TailPosition } from './log-tail.ts';
export type { HostReceiver, HostReceiverContext } from './host-receiver.ts';
export {
  auditdReceiverConfig,
  ebpfReceiverConfig,
  procfsReceiverConfig,
  type AuditdReceiverConfig,
  type EbpfReceiverConfig,
  type ProcfsReceiverConfig,
} from './config.ts';
