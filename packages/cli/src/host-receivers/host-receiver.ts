/**
 * What the service needs from a receiver that reads this host instead of listening for OTLP: start, stop, counters,
 * and what it cannot see.
 */
import type { PipelineRecord, RecordResource } from '@egressguard/schema';

/** What a host receiver is given by the service. */
export interface HostReceiverContext {
  /** The component id (`ebpf`, `auditd/main`). */
  readonly id: string;
  /** The state directory of the service: receivers keep their positions here. */
  readonly stateDirectory: string;
  /** The resource of every record (this host's `host.name`). */
  readonly resource: RecordResource;
  /**
   * Hands records to the pipelines. Resolves once they are in the export queues; rejects when the queues cannot take
   * them (the receiver keeps them and tries again).
   */
  readonly onRecords: (records: PipelineRecord[]) => Promise<void>;
  /** Writes one diagnostic line (stderr in the CLI). */
  readonly log: (line: string) => void;
}

/** A running host receiver. */
export interface HostReceiver {
  /** Starts reading; rejects (naming what is missing) when the sensor cannot be started at all. */
  start(): Promise<void>;
  /** Stops reading and hands over what it still holds; saves its position. Idempotent. */
  stop(): Promise<void>;
  /** Counters: lines read, records emitted, malformed lines, restarts, … */
  counters(): Readonly<Record<string, number>>;
  /** What this receiver cannot see, in one sentence each (printed by `watch`). */
  readonly blindSpots: readonly string[];
}
