import { describe, it } from 'node:test';

import { assertProcessorReadme } from '@egressguard/core/testing';

import { processAttributionFactory } from '../src/index.ts';

void describe('README', () => {
  void it('has the processor sections, and its contract and configuration table are current', () => {
    assertProcessorReadme(new URL('../README.md', import.meta.url), [processAttributionFactory]);
  });
});
