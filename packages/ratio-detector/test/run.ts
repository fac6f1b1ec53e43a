/** Runs a ratio detector over records and returns what came out, the detections and the counters. */
import type { ProcessorCounters } from '@egressguard/core';
import { EventName, type PipelineRecord } from '@egressguard/schema';

import { ratioDetectorFactory } from '../src/index.ts';

export const NOW = 1_764_470_000_000;

export function detector(config: unknown = {}) {
  return ratioDetectorFactory.create(ratioDetectorFactory.config.parse(config), {
    id: 'ratio_detector/test',
    now: () => NOW,
  });
}

export interface RunResult {
  out: PipelineRecord[];
  detections: PipelineRecord[];
  counters: ProcessorCounters;
}

/** Feeds each batch in turn to one detector. */
export async function run(config: unknown, ...batches: PipelineRecord[][]): Promise<RunResult> {
  const p = detector(config);
  const out: PipelineRecord[] = [];
  for (const batch of batches) out.push(...(await p.process(batch)));
  const counters = p.counters();
  await p.shutdown();
  return { out, detections: out.filter((r) => r.eventName === EventName.DETECTION), counters };
}
