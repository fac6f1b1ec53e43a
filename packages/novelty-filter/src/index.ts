/**
 * `@egressguard/novelty-filter`: is this process identity new, rare, known or allowlisted, and is its executable
 * custom? Annotates `egressguard.http_flow` (and `egressguard.connection`) records for the ratio detector after it.
 */
import { defineProcessor } from '@egressguard/core';

import { noveltyFilterConfig, type NoveltyFilterConfig } from './config.ts';
import { noveltyFilterState } from './internal/state.ts';
import { NoveltyFilterProcessor, noveltyFilterDescription } from './processor.ts';

export { noveltyFilterConfig };
export type { NoveltyFilterConfig } from './config.ts';

/**
 * Creates novelty filters (`novelty_filter` in configuration). The state's version and schema are the same for every
 * configuration; only the migration of version 1 snapshots reads `mature_interval_ms`, so each processor restores
 * with the definition of its own configuration (`noveltyFilterState(config)`), and the factory declares the one of
 * the defaults.
 */
export const noveltyFilterFactory = defineProcessor<NoveltyFilterConfig>({
  ...noveltyFilterDescription,
  config: noveltyFilterConfig,
  state: noveltyFilterState(noveltyFilterConfig.defaults()),
  create: (config, context) => new NoveltyFilterProcessor(config, context),
});
