/**
 * `@egressguard/core/testing`: the conformance suite and record builders for processor packages' tests.
 */
export { checkConformance, conformanceChecks, conformanceSuite } from './conformance.ts';
export type { ConformanceOptions, ConformanceResult } from './conformance.ts';
export { TEST_SCOPE, hostResource, makeConnection, makeProcessExec, makeRecord } from './records.ts';
export type { TestRecordOptions } from './records.ts';
export {
  PROCESSOR_README_SECTIONS,
  assertGeneratedSection,
  assertProcessorReadme,
  assertReadmeConfigTable,
  configMarkdown,
} from './readme.ts';
export {
  CONSERVATION_REASONS,
  assertNoRecordsLostReported,
  assertRecordsConserved,
  watchRecordsLost,
} from './conservation.ts';
export type { RecordsLostWatch } from './conservation.ts';
export { settledMemoryUsage } from './memory.ts';
export { hasFastProperties, runNativesChild, runScriptChild } from '@egressguard/schema/testing';
