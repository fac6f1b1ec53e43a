/**
 * The processor's state as its snapshot carries it, format version 1 (the released one): the process table, the
 * join buffer and the connection records held for a process that may still be reported.
 */
import { z } from 'zod';

import { defineState, recordStateSchema } from '@egressguard/core';

const attributes = z.record(z.string(), z.json());

const table = z.strictObject({
  /** `[host, pid, startMs, exitMs, attributes]` */
  entries: z.array(z.tuple([z.string(), z.number(), z.number(), z.number().nullable(), attributes])),
  /** `[host, ms]` */
  watermarks: z.array(z.tuple([z.string(), z.number()])),
});

const candidate = z.strictObject({
  host: z.string(),
  timeMs: z.number(),
  sourceAddress: z.string().optional(),
  sourcePort: z.number().optional(),
  destinationAddress: z.string(),
  destinationPort: z.number(),
  pid: z.number(),
  attributes,
});

const join = z.strictObject({
  candidates: z.array(candidate),
  watermarks: z.array(z.tuple([z.string(), z.number()])),
});

/** A held record: the record itself (core's snapshot form of a record) and why and since when it waits. */
const held = recordStateSchema.extend({
  host: z.string(),
  timeMs: z.number(),
  heldAtMs: z.number(),
  failure: z.enum(['ambiguous', 'no_match', 'kernel_thread', 'no_executable', 'process_gone']).nullable(),
  candidates: z.number().nullable(),
});

const version1 = z.strictObject({ table, join, held: z.array(held) });

/** The processor's state as its snapshot carries it. */
export type ProcessAttributionState = z.output<typeof version1>;
/** A held record as the snapshot carries it. */
export type HeldState = z.output<typeof held>;

/** The processor's versioned state definition. */
export const processAttributionState = defineState({ version: 1, schema: version1 });
