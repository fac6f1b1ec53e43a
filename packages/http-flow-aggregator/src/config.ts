/**
 * Configuration of the HTTP-flow aggregator: one zod schema gives the type, the validator, the defaults, the JSON
 * Schema and the README table.
 */
import { defineConfig } from '@egressguard/core';
import { z } from 'zod';

import { parseRange } from './internal/address-classifier.ts';

const positiveMs = (what: string) => z.number().int().positive().describe(what);

const cidr = z.string().superRefine((value, ctx) => {
  try {
    parseRange(value);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: error instanceof Error ? error.message : String(error) });
  }
});

/** Tumbling windows: back to back, each connection in exactly one. */
const tumbling = z
  .strictObject({
    type: z.literal('tumbling'),
    window_ms: positiveMs(
      'Window length in milliseconds of event time. Default: 600000 (10 minutes).',
    ).default(600_000),
  })
  .describe('Tumbling windows of `window_ms`, aligned to the Unix epoch.');

/** Hopping windows: `window_ms` long, one starting every `hop_ms`, so each connection is in several. */
const hopping = z
  .strictObject({
    type: z.literal('hopping'),
    window_ms: positiveMs(
      'Window length in milliseconds of event time. Default: 600000 (10 minutes).',
    ).default(600_000),
    hop_ms: positiveMs(
      'How often a window starts, in milliseconds; at most `window_ms`. Default: 300000.',
    ).default(300_000),
  })
  .describe(
    'Hopping (sliding) windows of `window_ms`, one starting every `hop_ms`, aligned to the Unix epoch.',
  );

/** Most windows one connection may fall into; each costs a state entry, so the ratio is kept reasonable. */
export const MAX_WINDOWS_PER_CONNECTION = 60;

/** The schema of the aggregator's configuration. */
export const httpFlowAggregatorSchema = z.strictObject({
  http_ports: z
    .array(z.number().int().min(1).max(65_535))
    .default([80, 443, 8080, 8000, 8443])
    .describe(
      'Destination ports whose connections count as HTTP when the sensor saw no HTTP fields; such connections get ' +
        '`network.protocol.name`=`http` and `egressguard.protocol.inferred`=true. Default: [80, 443, 8080, 8000, 8443].',
    ),
  windowing: z
    .discriminatedUnion('type', [tumbling, hopping])
    .default({ type: 'tumbling', window_ms: 600_000 })
    .describe(
      'Event-time windows: `{type: tumbling, window_ms}` or `{type: hopping, window_ms, hop_ms}`. ' +
        'Default: {type: tumbling, window_ms: 600000}.',
    ),
  out_of_order_ms: z
    .number()
    .int()
    .min(0)
    .default(5_000)
    .describe(
      'How far the watermark trails the largest event time seen on a host, in milliseconds: records this much out ' +
        'of order are still on time. Default: 5000.',
    ),
  allowed_lateness_ms: z
    .number()
    .int()
    .min(0)
    .default(60_000)
    .describe(
      'How long after a window was emitted a late record may still correct it (a new revision is emitted); ' +
        'later records are counted as `late_dropped`. Default: 60000.',
    ),
  max_clock_skew_ms: z
    .number()
    .int()
    .min(0)
    .default(300_000)
    .describe(
      'A connection whose event time is more than this ahead of processing time (a host with a wrong clock) is ' +
        "aggregated but does not move its host's watermark, so one bad record cannot make every later record of " +
        'that host too late; such records are counted as `future_event_time`. 0 turns the check off (synthetic ' +
        'data dated in the future). Default: 300000 (5 minutes).',
    ),
  idle_flush_ms: z
    .number()
    .int()
    .min(0)
    .default(0)
    .describe(
      'When a host has sent nothing for this many milliseconds of processing time, its watermark advances with ' +
        'the wall clock so its windows still close; 0 turns this off (replay, tests). Default: 0.',
    ),
  key: z
    .strictObject({
      include_destination: z
        .boolean()
        .default(false)
        .describe(
          'Add the destination (address and port) to the key: one flow per process and destination. Default: false.',
        ),
      attributes: z
        .array(z.string().min(1))
        .default([])
        .describe(
          'Further connection attributes added to the key and copied to the flow record. Default: [].',
        ),
    })
    .default({ include_destination: false, attributes: [] })
    .describe(
      'The grouping key; host and process identity are always in it. Default: host and process identity.',
    ),
  default_internal_ranges: z
    .boolean()
    .default(true)
    .describe(
      'Count the built-in ranges (private, loopback, link-local, carrier-grade NAT, multicast) as internal; false ' +
        'leaves only `internal_ranges`. Default: true.',
    ),
  internal_ranges: z
    .array(cidr)
    .default([])
    .describe(
      'Further internal ranges, as CIDR (`10.20.0.0/16`, `2001:db8::/32`) or single addresses. Default: [].',
    ),
  max_keys: z
    .number()
    .int()
    .positive()
    .default(10_000)
    .describe(
      'Most (key, window) entries held, emitted windows awaiting their lateness bound included; beyond it new keys ' +
        'go to one overflow flow per host and window. Default: 10000.',
    ),
  max_exact_destinations: z
    .number()
    .int()
    .positive()
    .default(256)
    .describe(
      'Distinct destinations counted exactly per flow; beyond, a HyperLogLog estimate (about 3% error) flagged by ' +
        '`egressguard.flow.destinations.estimated`. Default: 256.',
    ),
  max_byte_samples: z
    .number()
    .int()
    .min(2)
    .default(256)
    .describe(
      'Per-connection byte counts kept per flow for the median and p90: exact up to this many connections, then ' +
        'a uniform reservoir sample of this size. Default: 256.',
    ),
  max_start_times: z
    .number()
    .int()
    .min(2)
    .default(1_024)
    .describe(
      'Connection start times buffered per flow for the interval statistics: exact up to this many, then folded ' +
        'in sorted chunks. Default: 1024.',
    ),
  interim: z
    .strictObject({
      enabled: z
        .boolean()
        .default(false)
        .describe(
          'Emit interim updates of open windows, so that a detector can fire within seconds instead of at the window end; for chains with a consumer of them (the ratio detector), as the default chain is. Default: false.',
        ),
      min_connections: z
        .number()
        .int()
        .min(1)
        .default(5)
        .describe(
          "Connections a window needs before its first interim update; an update of fewer is of no use to its consumer (the default chain sets 10, the ratio detector's least min_connections). Default: 5.",
        ),
      max_per_window: z
        .number()
        .int()
        .min(1)
        .max(1_000_000)
        .default(40)
        .describe(
          'Most interim updates per key and window (one per connection from min_connections on), at most 1,000,000; after that the window is judged when it closes. Default: 40.',
        ),
    })
    .default({ enabled: false, min_connections: 5, max_per_window: 40 })
    .describe(
      'Interim updates: while a window is open, each connection past `min_connections` (up to `max_per_window` of them) emits the window so far as an `egressguard.http_flow` record marked `egressguard.flow.interim`, dated like the window, with the connection time in `egressguard.flow.interim.trigger_unix_ms`. Default: off (the default chain turns it on), from 5 connections, at most 40 per window.',
    ),
  connections: z
    .enum(['pass', 'drop'])
    .default('pass')
    .describe(
      'What happens to the aggregated connection records: `pass` them on (enriched with the inferred protocol) or ' +
        '`drop` them (counted as `aggregated`). Default: pass.',
    ),
});

/** The aggregator's configuration, defaults applied. */
export type HttpFlowAggregatorConfig = z.output<typeof httpFlowAggregatorSchema>;

/** The configuration definition: validator, defaults, JSON Schema. */
export const httpFlowAggregatorConfig = defineConfig(httpFlowAggregatorSchema);
