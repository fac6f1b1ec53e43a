import { describe, it } from 'node:test';

import { assertReadmeConfigTable } from '@egressguard/core/testing';

import { httpFlowAggregatorFactory } from '../src/index.ts';

void describe('README', () => {
  void it('config-table is current (regenerate with UPDATE_README=1)', () => {
    assertReadmeConfigTable(
      new URL('../README.md', import.meta.url),
      'http_flow_aggregator',
      httpFlowAggregatorFactory.config,
    );
  });
});
