import { describe, it } from 'node:test';

import { assertProcessorReadme } from '@egressguard/core/testing';

import { normalizeFactory } from '../src/index.ts';

describe('README', () => {
  it('has the processor sections, contract and configuration table its definition generates (regenerate with UPDATE_README=1)', () => {
    assertProcessorReadme(new URL('../README.md', import.meta.url), [normalizeFactory]);
  });
});
