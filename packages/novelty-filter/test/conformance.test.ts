import { conformanceSuite, makeConnection, makeRecord } from '@egressguard/core/testing';
import { EventName, FlowAttr, ProcessAttr } from '@egressguard/schema';

import { noveltyFilterFactory } from '../src/index.ts';

conformanceSuite(noveltyFilterFactory, {
  config: { package_database: 'none' },
  sampleRecords: () => [
    makeConnection({ [ProcessAttr.EXECUTABLE_PATH]: '/tmp/.x/kworkerd', [ProcessAttr.USER_ID]: 1000 }),
    makeRecord(EventName.HTTP_FLOW, {
      [ProcessAttr.EXECUTABLE_PATH]: '/usr/bin/curl',
      [FlowAttr.WINDOW_START]: 1_764_460_500_000,
      [FlowAttr.WINDOW_END]: 1_764_460_800_000,
      [FlowAttr.CONNECTIONS]: 3,
    }),
  ],
});
