import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

import { configRows, configTable } from '@egressguard/core';

import { coverageReportFactory } from '../src/coverage-report.ts';
import { normalizeFactory } from '../src/processor.ts';

const README = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'README.md');

describe('README', () => {
  it('has both configuration tables as the schemas generate them', () => {
    const text = readFileSync(README, 'utf8');
    const tables = [
      ...text.matchAll(/<!-- config-table:start -->\n([\s\S]*?)\n<!-- config-table:end -->/g),
    ].map((m) => m[1]);
    assert.deepEqual(tables, [
      configTable(configRows(normalizeFactory.config.jsonSchema())),
      configTable(configRows(coverageReportFactory.config.jsonSchema())),
    ]);
  });
});
