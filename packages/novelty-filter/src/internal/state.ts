/**
 * The filter's state, versioned: the baseline of process identities. Version 2 added the maturity intervals to each
 * entry; version 1 snapshots are migrated, which takes the configured `mature_interval_ms`, so the state definition
 * is a function of it. Its version and schema are the same for every configuration.
 */
import { z } from 'zod';

import { defineState, type StateDefinition } from '@egressguard/core';

const time = z.number().finite();
const nullableTime = time.nullable();
const count = z.number().int().nonnegative();

/** `[identity, firstSeenMs, lastSeenMs, count, days, lastDay, dayMask]` */
const entryV1 = z.tuple([z.string(), time, time, count, count, z.number().int(), count]);

/** `[identity, firstSeenMs, lastSeenMs, count, days, lastDay, dayMask, intervals, lastInterval, intervalMask]` */
const entryV2 = z.tuple([
  z.string(),
  time,
  time,
  count,
  count,
  z.number().int(),
  count,
  count,
  z.number().int(),
  count,
]);

const version1 = z.strictObject({
  baseline: z.strictObject({ startMs: nullableTime, maxEventMs: nullableTime, entries: z.array(entryV1) }),
});

const version2 = z.strictObject({
  baseline: z.strictObject({ startMs: nullableTime, maxEventMs: nullableTime, entries: z.array(entryV2) }),
});

/** The filter's state as its snapshot carries it. */
export type NoveltyFilterState = z.output<typeof version2>;

/**
 * The filter's versioned state. A version 1 entry (before maturity intervals) gets as many intervals as distinct days
 * seen, each day having held at least one: a lower bound, never an identity made known that was not. Its last
 * interval is that of its last sighting.
 */
export function noveltyFilterState(config: {
  readonly mature_interval_ms: number;
}): StateDefinition<NoveltyFilterState> {
  return defineState({
    version: 2,
    schema: version2,
    migrations: [
      {
        from: 1,
        schema: version1,
        migrate: (older: z.output<typeof version1>): NoveltyFilterState => ({
          baseline: {
            ...older.baseline,
            entries: older.baseline.entries.map(([key, first, last, seen, days, lastDay, mask]) => [
              key,
              first,
              last,
              seen,
              days,
              lastDay,
              mask,
              days,
              Math.floor(last / config.mature_interval_ms),
              1,
            ]),
          },
        }),
      },
    ],
  });
}
