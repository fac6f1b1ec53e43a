/**
 * The report's state, versioned: the event-time watermark and the counts of every open period, per host and source
 * format. Version 1 is the format written since the first release.
 */
import { z } from 'zod';

import { defineState } from '@egressguard/core';

const entry = z.strictObject({
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
  periods: z.array(z.strictObject({ start: z.number(), entries: z.array(entry) })),
});

/** The report's state as its snapshot carries it. */
export type CoverageReportState = z.output<typeof version1>;

/** The report's versioned state definition. */
export const coverageReportState = defineState({ version: 1, schema: version1 });
