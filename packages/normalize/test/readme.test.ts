import { describe, it } from 'node:test';

import { assertReadmeConfigTable } from '@egressguard/core/testing';

import { coverageReportFactory } from '../src/coverage-report.ts';
import { normalizeFactory } from '../src/index.ts';

const README = new URL('../README.md', import.meta.url);

describe('README', () => {
  it('has both configuration tables as the schemas generate them (regenerate with UPDATE_README=1)', () => {
    assertReadmeConfigTable(README, 'normalize', normalizeFactory.config);
    assertReadmeConfigTable(README, 'coverage_report', coverageReportFactory.config);
  });
});
