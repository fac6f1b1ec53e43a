import { describe, it } from 'node:test';

import { assertProcessorReadme } from '@egressguard/core/testing';

import { httpFlowAggregatorFactory } from '../src/index.ts';

void describe('README', () => {
  void it('has the processor sections, its contract and configuration table (UPDATE_README=1 regenerates)', () => {
    assertProcessorReadme(new URL('../README.md', import.meta.url), [httpFlowAggregatorFactory]);
  });
});
