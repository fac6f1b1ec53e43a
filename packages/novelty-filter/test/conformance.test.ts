import { conformanceSuite, makeConnection, makeRecord } from '@egressguard/core/testing';
import { EventName, FlowAttr, ProcessAttr } from '@egressguard/schema';

import { noveltyFilterFactory } from '../src/index.ts';

const sampleRecords = () => [
  makeConnection({ [ProcessAttr.EXECUTABLE_PATH]: '/tmp/.x/kworkerd', [ProcessAttr.USER_ID]: 1000 }),
  makeRecord(EventName.HTTP_FLOW, {
    [ProcessAttr.EXECUTABLE_PATH]: '/usr/bin/curl',
    [FlowAttr.WINDOW_START]: 1_764_460_500_000,
    [FlowAttr.WINDOW_END]: 1_764_460_800_000,
    [FlowAttr.CONNECTIONS]: 3,
  }),
];

conformanceSuite(noveltyFilterFactory, {
  config: { package_database: 'none' },
  sampleRecords,
  // Each run creates three instances, and one costs about 50 ms (the built-in allowlist): fewer runs keep it quick.
  propertyRuns: 40,
});

// Drop mode with every status dropped: each annotated record must be counted as dropped, the others passed.
conformanceSuite(noveltyFilterFactory, {
  label: 'drop mode',
  config: {
    package_database: 'none',
    action: { mode: 'drop', statuses: ['rare', 'known', 'allowlisted'], keep_custom: false },
  },
  sampleRecords,
  propertyRuns: 40,
});
