/**
 * Keeps a package README's configuration tables current: each table between `<!-- config-table:start -->` and
 * `<!-- config-table:end -->` must be what its component's JSON Schema generates. With `UPDATE_README=1` in the
 * environment the README is rewritten instead.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';

import { configRows, configTable } from '../config.ts';
import type { ConfigDefinition } from '../config.ts';

const START = '<!-- config-table:start -->';
const END = '<!-- config-table:end -->';

/**
 * Asserts (or, with UPDATE_README=1, rewrites) the README's generated configuration table number `index`
 * (0-based, for READMEs that document several components).
 */
export function assertReadmeConfigTable(
  readme: URL | string,
  config: ConfigDefinition<unknown>,
  index = 0,
): void {
  const text = readFileSync(readme, 'utf8');
  let start = -1;
  for (let i = 0; i <= index; i++) start = text.indexOf(START, start + 1);
  const end = text.indexOf(END, start);
  assert.ok(start !== -1 && end > start, `the README needs ${START} and ${END} markers (table ${index})`);
  const current = text.slice(start + START.length, end).trim();
  const expected = configTable(configRows(config.jsonSchema()));
  if (process.env.UPDATE_README === '1' && current !== expected) {
    writeFileSync(readme, `${text.slice(0, start + START.length)}\n${expected}\n${text.slice(end)}`);
    return;
  }
  assert.equal(
    current,
    expected,
    'the README configuration table is stale: run the tests with UPDATE_README=1',
  );
}
