/**
 * The aggregator's state as its snapshot carries it (format version 1, unchanged since the released version): the
 * window shape it was written with, each host's clock and watermark, the resources and scopes of the held flows
 * (once each, flows refer to them by index) and every held flow with its aggregates.
 *
 * Objects are `z.object` (unknown keys are dropped, not refused): the snapshots the released version wrote must keep
 * restoring, and a key a later patch adds must not make an older build refuse the whole state.
 */
import { z } from 'zod';

import { defineState } from '@egressguard/core';

import { FLOW_COUNTER_COUNT } from './flow-aggregate.ts';

const attributes = z.record(z.string(), z.json());

/**
 * An array of numbers, checked in one pass: a snapshot holds tens of them per flow (counters, byte samples, start
 * times), and an element schema each would make restoring 100,000 flows several times slower.
 */
const numbers = (length?: number) =>
  z.custom<number[]>(
    (v) =>
      Array.isArray(v) &&
      (length === undefined || v.length === length) &&
      v.every((x) => typeof x === 'number'),
    length === undefined ? 'expected an array of numbers' : `expected an array of ${length} numbers`,
  );

const aggregate = z.object({
  counters: numbers(FLOW_COUNTER_COUNT),
  bytesKind: z.string().nullable(),
  firstSeen: z.number().nullable(),
  lastSeen: z.number().nullable(),
  /** The exact distinct values, or the HyperLogLog registers in base64. */
  destinations: z.union([z.object({ exact: z.array(z.string()) }), z.object({ hll: z.string() })]),
  samples: z.object({
    seen: z.number(),
    rng: z.number(),
    sent: numbers(),
    received: numbers(),
  }),
  intervals: z.object({
    buffer: numbers(),
    n: z.number(),
    mean: z.number(),
    m2: z.number(),
    frontier: z.number().nullable(),
    skipped: z.number(),
  }),
});

const index = z.number().int().nonnegative();

const flow = z.object({
  host: z.string(),
  start: z.number(),
  key: z.string(),
  overflow: z.boolean(),
  revision: z.number().int(),
  /** Absent in snapshots written before interim updates existed: 0. */
  interims: z.number().int().optional(),
  dirty: z.boolean(),
  resource: index,
  scope: index,
  carried: attributes,
  agg: aggregate,
});

const version1 = z.object({
  windowMs: z.number(),
  hopMs: z.number(),
  hosts: z.array(
    z.object({
      name: z.string(),
      watermarkMaxMs: z.number().nullable(),
      maxEventMs: z.number().nullable(),
      lastArrivalMs: z.number(),
    }),
  ),
  resources: z.array(z.object({ attributes, schemaUrl: z.string().optional() })),
  scopes: z.array(
    z.object({
      name: z.string(),
      version: z.string().optional(),
      schemaUrl: z.string().optional(),
      attributes: attributes.optional(),
      droppedAttributesCount: z.number().optional(),
    }),
  ),
  flows: z.array(flow),
});

/** The aggregator's state as its snapshot carries it. */
export type HttpFlowAggregatorState = z.output<typeof version1>;
/** One held flow in the snapshot. */
export type FlowState = z.output<typeof flow>;

/** The aggregator's versioned state definition. */
export const httpFlowAggregatorState = defineState({ version: 1, schema: version1 });
