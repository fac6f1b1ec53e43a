/**
 * The snapshot of the processor's state and back: process table and join buffer as plain JSON, held records in
 * core's snapshot form of a record with why and since when they wait.
 */
import { recordFromState, recordToState } from '@egressguard/core';
import type { PipelineRecord, RecordResource } from '@egressguard/schema';

import type { ConnectionJoinBuffer } from './connection-join.ts';
import type { ProcessTable } from './process-table.ts';
import type { HeldState, ProcessAttributionState } from './state.ts';

/** Why a record could not be attributed (`egressguard.attribution.reason`). */
export type Reason = NonNullable<HeldState['failure']>;

/** A record waiting for a join partner. */
export interface Held {
  readonly record: PipelineRecord;
  readonly host: string;
  readonly timeMs: number;
  readonly heldAtMs: number;
  readonly failure: Reason | undefined;
  readonly candidates: number | undefined;
}

/** The state to snapshot. */
export function snapshotOf(
  table: ProcessTable,
  join: ConnectionJoinBuffer,
  held: readonly Held[],
): ProcessAttributionState {
  // Table and join attributes as plain JSON (bigint as a decimal string, bytes as base64), as released.
  const plain = JSON.parse(JSON.stringify({ table: table.toJSON(), join: join.toJSON() }, jsonSafe)) as Pick<
    ProcessAttributionState,
    'table' | 'join'
  >;
  return { ...plain, held: held.map(heldToState) };
}

/** Loads a snapshot's table and join buffer and returns its held records. */
export function restoreFrom(
  state: ProcessAttributionState,
  table: ProcessTable,
  join: ConnectionJoinBuffer,
): Held[] {
  table.restore(state.table);
  join.restore(state.join);
  // Records that shared a resource before the restart share one again.
  const resources = new Map<string, RecordResource>();
  return state.held.map((h) => heldFromState(h, resources));
}

function jsonSafe(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  return value;
}

function heldToState(h: Held): HeldState {
  return {
    ...recordToState(h.record),
    host: h.host,
    timeMs: h.timeMs,
    heldAtMs: h.heldAtMs,
    failure: h.failure ?? null,
    candidates: h.candidates ?? null,
  };
}

function heldFromState(s: HeldState, resources: Map<string, RecordResource>): Held {
  return {
    record: recordFromState(s, resources),
    host: s.host,
    timeMs: s.timeMs,
    heldAtMs: s.heldAtMs,
    failure: s.failure ?? undefined,
    candidates: s.candidates ?? undefined,
  };
}
