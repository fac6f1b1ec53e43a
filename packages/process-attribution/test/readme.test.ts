import { it } from 'node:test';

import { assertReadmeConfigTable } from '@egressguard/core/testing';

import { processAttributionFactory } from '../src/index.ts';

void it('README configuration table matches the schema', () => {
  assertReadmeConfigTable(
    new URL('../README.md', import.meta.url),
    'process_attribution',
    processAttributionFactory.config,
  );
});
