/** The shared conformance suite. The detector holds no records (detections leave with their flow), so no heldRecords. */
import { conformanceSuite, makeConnection } from '@egressguard/core/testing';
import { ProcessAttr } from '@egressguard/schema';

import { ratioDetectorFactory } from '../src/index.ts';
import { T0, flow } from './flow-builder.ts';

conformanceSuite(ratioDetectorFactory, {
  config: { adaptive: { enabled: true, min_windows: 2 } },
  sampleRecords: () => [
    flow(),
    flow({ windowStart: T0 + 600_000 }),
    flow({ key: 'failing', external: 12, failed: 12 }),
    flow({ windowStart: T0 + 1_200_000, external: 90 }),
    makeConnection({ [ProcessAttr.PID]: 7 }),
  ],
});
