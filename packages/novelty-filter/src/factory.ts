/**
 * The factory the registry and the CLI create novelty filters with.
 */
import { UNTYPED_STATE, defineProcessor } from '@egressguard/core';

import { noveltyFilterConfig, type NoveltyFilterConfig } from './config.ts';
import { NoveltyFilterProcessor, noveltyFilterDescription } from './processor.ts';

/** Creates `novelty_filter` processors. */
export const noveltyFilterFactory = defineProcessor<NoveltyFilterConfig>({
  ...noveltyFilterDescription,
  config: noveltyFilterConfig,
  state: UNTYPED_STATE,
  create: (config, context) => new NoveltyFilterProcessor(config, context),
});
