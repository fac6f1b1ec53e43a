/**
 * `@egressguard/ratio-detector`: the MITRE ATT&CK AN0145 rule (many HTTP connections, little data back, from a
 * new or custom process) with its all-failed finding, asset roles, an adaptive mode and the sibling AN0144 and
 * AN0146 rules, each detection explainable from the record alone.
 */
import { defineProcessor } from '@egressguard/core';

import { ratioDetectorConfig, type RatioDetectorConfig } from './config.ts';
import { ratioDetectorState } from './internal/state.ts';
import { RatioDetectorProcessor, ratioDetectorDescription } from './processor.ts';

export { ratioDetectorConfig };
export type { RatioDetectorConfig, Thresholds } from './config.ts';
export { readInventoryFile } from './internal/roles.ts';
export { DETECTION_SCOPE, STRATEGY, TECHNIQUE_ID, TECHNIQUE_NAME } from './internal/detection-record.ts';

/** Creates ratio detectors (`ratio_detector` in configuration). */
export const ratioDetectorFactory = defineProcessor<RatioDetectorConfig>({
  ...ratioDetectorDescription,
  config: ratioDetectorConfig,
  state: ratioDetectorState,
  create: (config, context) => new RatioDetectorProcessor(config, context),
});
