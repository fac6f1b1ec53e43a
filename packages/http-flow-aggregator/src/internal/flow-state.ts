/**
 * What the aggregator holds: per host, its watermark and its open window groups; per group, its keyed flows and
 * at most one overflow flow. Plain data shared by the processor, the record building and the snapshot code.
 */
import type { EventTimeWatermark } from '@egressguard/core';
import type { RecordAttributes, RecordResource, RecordScope } from '@egressguard/schema';

import type { FlowAggregate } from './flow-aggregate.ts';

/** One key's aggregates in one window. */
export interface Flow {
  readonly key: string;
  readonly overflow: boolean;
  readonly group: WindowGroup;
  /** The last revision emitted, -1 before the first emission. */
  revision: number;
  /** Interim updates emitted while the window was open. */
  interims: number;
  /** Changed since the last emission. */
  dirty: boolean;
  readonly resource: RecordResource;
  readonly scope: RecordScope;
  readonly carried: RecordAttributes;
  readonly agg: FlowAggregate;
}

/** The flows of one host in one window. */
export interface WindowGroup {
  readonly start: number;
  readonly end: number;
  /** The host's watermark has passed the end: changes are emitted as corrections. */
  due: boolean;
  readonly flows: Map<string, Flow>;
  overflow: Flow | undefined;
}

/** One host: its watermark, its clock and its open window groups by start. */
export interface HostState {
  readonly name: string;
  readonly watermark: EventTimeWatermark;
  /** Largest real event time seen (the watermark may run ahead of it on the idle timer). */
  maxEventMs: number;
  /** Processing time of the host's last record. */
  lastArrivalMs: number;
  readonly groups: Map<number, WindowGroup>;
  /** The watermark value at which the processor's `advance` has something to do. */
  nextCheckMs: number;
}

/** Approximate bytes held by a flow (for the state size). */
export function flowBytes(flow: Flow): number {
  let carried = 0;
  for (const [k, v] of Object.entries(flow.carried))
    carried += 32 + 2 * k.length + (typeof v === 'string' ? 2 * v.length : 16);
  return 160 + 2 * flow.key.length + carried + flow.agg.bytes;
}
