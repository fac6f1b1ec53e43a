/**
 * The factory the registry and the CLI create novelty filters with.
 */
import type { ProcessorFactory } from '@egressguard/core';

import { noveltyFilterConfig, type NoveltyFilterConfig } from './config.ts';
import { NoveltyFilterProcessor, noveltyFilterMetadata } from './processor.ts';

/** Creates `novelty_filter` processors. */
export const noveltyFilterFactory: ProcessorFactory<NoveltyFilterConfig> = {
  type: 'novelty_filter',
  metadata: noveltyFilterMetadata,
  config: noveltyFilterConfig,
  create(config, context) {
    return new NoveltyFilterProcessor(config, context);
  },
};
