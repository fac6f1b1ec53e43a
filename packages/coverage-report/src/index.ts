/**
 * `@egressguard/coverage-report`: the blind-spot report as a pipeline stage. Per host, source format and event-time
 * period, how many connection records had a process, bytes and real HTTP semantics; what no stage could fill in is
 * a product output, not a footnote.
 */
import { defineProcessor } from '@egressguard/core';

import { coverageReportConfig, type CoverageReportConfig } from './config.ts';
import { coverageReportState } from './internal/state.ts';
import { CoverageReportProcessor, coverageReportDescription } from './processor.ts';

export { coverageReportConfig };
export type { CoverageReportConfig } from './config.ts';
export { OVERFLOW_HOST } from './processor.ts';
export { UNKNOWN_FORMAT, UNKNOWN_HOST } from './internal/coverage.ts';

/** Creates blind-spot reports (`coverage_report` in configuration). */
export const coverageReportFactory = defineProcessor<CoverageReportConfig>({
  ...coverageReportDescription,
  config: coverageReportConfig,
  state: coverageReportState,
  create: (config, context) => new CoverageReportProcessor(config, context),
});
