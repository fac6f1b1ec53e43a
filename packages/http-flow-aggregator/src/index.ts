/**
 * `@egressguard/http-flow-aggregator`: per-process, per-window HTTP connection evidence in event time.
 */
import { defineProcessor } from '@egressguard/core';

import { httpFlowAggregatorConfig, type HttpFlowAggregatorConfig } from './config.ts';
import { httpFlowAggregatorState } from './internal/state.ts';
import { HttpFlowAggregator, httpFlowAggregatorDescription } from './processor.ts';

export type { HttpFlowAggregatorConfig } from './config.ts';

/** Creates HTTP-flow aggregators (`http_flow_aggregator` in configuration). */
export const httpFlowAggregatorFactory = defineProcessor<HttpFlowAggregatorConfig>({
  ...httpFlowAggregatorDescription,
  config: httpFlowAggregatorConfig,
  state: httpFlowAggregatorState,
  create: (config, context) => new HttpFlowAggregator(config, context),
});
