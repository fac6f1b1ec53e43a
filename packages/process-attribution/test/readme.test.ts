import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { it } from 'node:test';

import { configRows, configTable } from '@egressguard/core';

import { processAttributionFactory } from '../src/index.ts';

const START = '<!-- config-table:start -->';
const END = '<!-- config-table:end -->';

void it('README configuration table matches the schema', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const table = readme.slice(readme.indexOf(START) + START.length, readme.indexOf(END)).trim();
  const expected = configTable(configRows(processAttributionFactory.config.jsonSchema()));
  if (process.env.UPDATE_README === '1') {
    const updated =
      readme.slice(0, readme.indexOf(START) + START.length) +
      '\n' +
      expected +
      '\n' +
      readme.slice(readme.indexOf(END));
    writeFileSync(new URL('../README.md', import.meta.url), updated);
    return;
  }
  assert.equal(table, expected, 'run this test with UPDATE_README=1 to regenerate the table');
});
