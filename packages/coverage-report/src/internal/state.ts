/**
 * The report's state, versioned: the event-time watermark and the counts of every open period, per host and source
 * format. Version 1 is the format written since the first release; version 2 adds each entry's count of unreadable
 * input lines (`malformed`), 0 for a version-1 entry.
 */
import { z } from 'zod';

import { defineState } from '@egressguard/core';

const entry1 = z.strictObject({
  host: z.string(),
  format: z.string(),
  resource: z.record(z.string(), z.json()),
  connections: z.number(),
  withProcess: z.number(),
  withBytes: z.number(),
  withHttp: z.number(),
});

const version1 = z.strictObject({
  watermark: z.strictObject({ maxEventMs: z.number().nullable() }),
  periods: z.array(z.strictObject({ start: z.number(), entries: z.array(entry1) })),
});

const version2 = z.strictObject({
  watermark: version1.shape.watermark,
  periods: z.array(
    z.strictObject({ start: z.number(), entries: z.array(entry1.extend({ malformed: z.number() })) }),
  ),
});

/** The report's state as its snapshot carries it. */
export type CoverageReportState = z.output<typeof version2>;

/** The report's versioned state definition. */
export const coverageReportState = defineState({
  version: 2,
  schema: version2,
  migrations: [
    {
      from: 1,
      schema: version1,
      migrate: (older: z.output<typeof version1>): CoverageReportState => ({
        ...older,
        periods: older.periods.map((p) => ({
          ...p,
          entries: p.entries.map((e) => ({ ...e, malformed: 0 })),
        })),
      }),
    },
  ],
});
