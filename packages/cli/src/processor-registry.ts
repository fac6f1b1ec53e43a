/**
 * The processor registry of the command line: every processor type of the chain.
 */
import { ProcessorRegistry } from '@egressguard/core';
import { coverageReportFactory } from '@egressguard/coverage-report';
import { httpFlowAggregatorFactory } from '@egressguard/http-flow-aggregator';
import { normalizeFactory } from '@egressguard/normalize';
import { noveltyFilterFactory } from '@egressguard/novelty-filter';
import { processAttributionFactory } from '@egressguard/process-attribution';
import { ratioDetectorFactory } from '@egressguard/ratio-detector';

/** A registry with every egressguard processor type registered. */
export function createProcessorRegistry(): ProcessorRegistry {
  return new ProcessorRegistry()
    .register(normalizeFactory)
    .register(processAttributionFactory)
    .register(coverageReportFactory)
    .register(httpFlowAggregatorFactory)
    .register(noveltyFilterFactory)
    .register(ratioDetectorFactory);
}
