import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { configRows, configTable } from '@egressguard/core';

import { httpFlowAggregatorFactory } from '../src/index.ts';

const README = join(import.meta.dirname, '..', 'README.md');

void describe('README', () => {
  void it('config-table is current (regenerate with UPDATE_README=1)', () => {
    const text = readFileSync(README, 'utf8');
    const start = '<!-- config-table:start -->\n';
    const end = '<!-- config-table:end -->';
    const from = text.indexOf(start);
    const to = text.indexOf(end);
    assert.ok(from !== -1 && to > from, 'README.md needs the config-table markers');
    const current = text.slice(from + start.length, to);
    const expected = `${configTable(configRows(httpFlowAggregatorFactory.config.jsonSchema()))}\n`;
    if (process.env.UPDATE_README === '1' && current !== expected) {
      writeFileSync(README, text.slice(0, from + start.length) + expected + text.slice(to));
      return;
    }
    assert.equal(current, expected);
  });
});
