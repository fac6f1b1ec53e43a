/**
 * `@egressguard/process-attribution`: which process made each connection, and how sure that is.
 */
import { defineProcessor } from '@egressguard/core';

import { processAttributionConfig, type ProcessAttributionConfig } from './config.ts';
import { processAttributionState } from './internal/state.ts';
import { ProcessAttributionProcessor, processAttributionDescription } from './processor.ts';

export { processAttributionConfig, ATTRIBUTION_RULES } from './config.ts';
export type { ProcessAttributionConfig, AttributionRule } from './config.ts';
/** The values this processor writes to `egressguard.attribution.confidence` and `.reason`. */
export { ATTRIBUTION_CONFIDENCE, AttributionReason } from './internal/attribution.ts';
/**
 * Reads `/proc/net/tcp{,6}` rows and their addresses, and a process's container from its cgroup file: for agents
 * and receivers that poll connections themselves (the CLI's `procfs` receiver, examples/custom-agent).
 */
export { decodeProcNetAddress, parseProcNetTcp } from './internal/socket-inode-resolver.ts';
export { containerIdFromCgroup } from './internal/container-id.ts';
export type { NetTcpEntry } from './internal/socket-inode-resolver.ts';

/** The factory of the `process_attribution` processor. */
export const processAttributionFactory = defineProcessor<ProcessAttributionConfig>({
  ...processAttributionDescription,
  config: processAttributionConfig,
  state: processAttributionState,
  create: (config, context) => new ProcessAttributionProcessor(config, context),
});
