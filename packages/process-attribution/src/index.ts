/**
 * `@egressguard/process-attribution`: which process made each connection, and how sure that is.
 */
import { defineProcessor } from '@egressguard/core';

import { processAttributionConfig, type ProcessAttributionConfig } from './config.ts';
import { ProcessAttributionProcessor, processAttributionDescription } from './processor.ts';
import { processAttributionState } from './internal/state.ts';

/** The factory of the `process_attribution` processor. */
export const processAttributionFactory = defineProcessor<ProcessAttributionConfig>({
  ...processAttributionDescription,
  config: processAttributionConfig,
  state: processAttributionState,
  create: (config, context) => new ProcessAttributionProcessor(config, context),
});

export { processAttributionConfig, ATTRIBUTION_RULES } from './config.ts';
export type { ProcessAttributionConfig, AttributionRule } from './config.ts';
export { ProcessAttributionProcessor, ATTRIBUTION_CONFIDENCE, AttributionReason } from './processor.ts';
export { ProcessTable } from './internal/process-table.ts';
export type {
  ProcessEntry,
  ProcessLookup,
  ProcessTableOptions,
  ProcessTableState,
} from './internal/process-table.ts';
export { ProcfsReader, parseProcStat, clockTicksPerSecond, PF_KTHREAD } from './internal/procfs-reader.ts';
export type { ProcfsProcess, ProcfsReaderOptions, ProcStat } from './internal/procfs-reader.ts';
export {
  SocketInodeResolver,
  parseProcNetTcp,
  decodeProcNetAddress,
} from './internal/socket-inode-resolver.ts';
export type {
  NetTcpEntry,
  SocketLookup,
  SocketTuple,
  SocketInodeResolverOptions,
} from './internal/socket-inode-resolver.ts';
export { ConnectionJoinBuffer } from './internal/connection-join.ts';
export type {
  ConnectionJoinOptions,
  JoinCandidate,
  JoinQuery,
  JoinResult,
} from './internal/connection-join.ts';
export { ExecutableHasher } from './internal/executable-hasher.ts';
export type { ExecutableHasherOptions, HashResult } from './internal/executable-hasher.ts';
export { containerIdFromCgroup } from './internal/container-id.ts';
