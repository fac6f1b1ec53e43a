/**
 * Configuration of the `coverage_report` processor, schema first: the zod definition gives the TypeScript type, the
 * validator (unknown keys rejected), the defaults, the JSON Schema and the README table.
 */
import { defineConfig } from '@egressguard/core';
import { z } from 'zod';

/** The `coverage_report` processor's configuration. */
export const coverageReportConfig = defineConfig(
  z.strictObject({
    period_ms: z
      .number()
      .int()
      .positive()
      .default(600_000)
      .describe(
        'Length of a reporting period in event time; a report per host and source format is emitted for each period. Default: 600000 (10 minutes).',
      ),
    allowed_lateness_ms: z
      .number()
      .int()
      .nonnegative()
      .default(60_000)
      .describe(
        'How long after a period ends (in event time) records may still be counted in it before it is emitted; later records are counted as late. Default: 60000.',
      ),
    max_keys: z
      .number()
      .int()
      .positive()
      .default(10_000)
      .describe(
        'Host and source-format pairs tracked per period at most; past this, records are counted under host (overflow) (counted as overflow). Default: 10000.',
      ),
  }),
);
/** The `coverage_report` processor's configuration type. */
export type CoverageReportConfig = ReturnType<typeof coverageReportConfig.defaults>;
