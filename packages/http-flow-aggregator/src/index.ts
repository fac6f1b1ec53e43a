/**
 * `@egressguard/http-flow-aggregator`: per-process, per-window HTTP connection evidence in event time, and the
 * internal/external address classifier it uses.
 */
import { UNTYPED_STATE, defineProcessor } from '@egressguard/core';

import { httpFlowAggregatorConfig, type HttpFlowAggregatorConfig } from './config.ts';
import { HttpFlowAggregator, httpFlowAggregatorDescription } from './processor.ts';

/** The factory of the `http_flow_aggregator` processor type. */
export const httpFlowAggregatorFactory = defineProcessor<HttpFlowAggregatorConfig>({
  ...httpFlowAggregatorDescription,
  config: httpFlowAggregatorConfig,
  state: UNTYPED_STATE,
  create: (config, context) => new HttpFlowAggregator(config, context),
});

export { httpFlowAggregatorConfig, httpFlowAggregatorSchema } from './config.ts';
export type { HttpFlowAggregatorConfig } from './config.ts';
export { HttpFlowAggregator, SNAPSHOT_VERSION } from './processor.ts';
export { AddressClassifier, DEFAULT_INTERNAL_RANGES, parseRange } from './internal/address-classifier.ts';
export type {
  AddressClass,
  AddressClassifierOptions,
  AddressRange,
  ParsedRange,
} from './internal/address-classifier.ts';
