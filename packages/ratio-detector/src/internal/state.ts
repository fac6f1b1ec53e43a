/**
 * The detector's state, versioned: suppression entries, decided ids, adaptive baselines and (since version 2) the
 * revisions of emitted detections. Version 1 snapshots (before revisions) are migrated.
 */
import { z } from 'zod';

import { defineState } from '@egressguard/core';

const finding = z.strictObject({
  analytic: z.enum(['AN0145', 'AN0144', 'AN0146']),
  rule: z.string(),
  finding: z.string(),
  score: z.number(),
  scoreParts: z.record(z.string(), z.number()),
  reason: z.string(),
  fired: z.array(z.string()).readonly(),
  thresholds: z.record(z.string(), z.number()),
  evidence: z.record(z.string(), z.number()),
});

const version1 = z.strictObject({
  /** `[key, [lastEmittedMs, suppressedSince]]` */
  suppression: z.array(z.tuple([z.string(), z.tuple([z.number(), z.number()])])),
  decided: z.array(z.string()),
  /** `[identity, [[windowStart, connections, ratio], …]]` */
  baselines: z.array(
    z.tuple([z.string(), z.array(z.tuple([z.number(), z.number(), z.number().nullable()]))]),
  ),
});

const version2 = version1.extend({
  revisions: z.strictObject({
    /** `[id, revision, timeMs]` */
    emitted: z.array(z.tuple([z.string(), z.number(), z.number()])),
    open: z.array(
      z.tuple([z.string(), z.array(z.strictObject({ id: z.string(), timeMs: z.number(), finding }))]),
    ),
  }),
});

/** The detector's state as its snapshot carries it. */
export type RatioDetectorState = z.output<typeof version2>;

/** The detector's versioned state definition. */
export const ratioDetectorState = defineState({
  version: 2,
  schema: version2,
  migrations: [
    {
      from: 1,
      schema: version1,
      migrate: (older: z.output<typeof version1>) => ({ ...older, revisions: { emitted: [], open: [] } }),
    },
  ],
});
