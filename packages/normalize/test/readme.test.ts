import { describe, it } from 'node:test';

import { assertReadmeConfigTable } from '@egressguard/core/testing';

import { normalizeFactory } from '../src/index.ts';

const README = new URL('../README.md', import.meta.url);

describe('README', () => {
  it('has the configuration table as the schema generates it (regenerate with UPDATE_README=1)', () => {
    assertReadmeConfigTable(README, 'normalize', normalizeFactory.config);
  });
});
