import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';

import { ConfigError, configRows, configTable, defineConfig, ProcessorRegistry } from '@egressguard/core';

import { countFactory, dropFactory } from './fixtures.ts';

const def = defineConfig(
  z.strictObject({
    window_ms: z.number().int().positive().default(600_000).describe('Window length. Default: 600000.'),
    mode: z.enum(['annotate', 'drop']).default('annotate').describe('What to do. Default: annotate.'),
    nested: z
      .strictObject({ max_entries: z.number().int().min(1).default(10).describe('Bound. Default: 10.') })
      .default({ max_entries: 10 })
      .describe('Nested options.'),
  }),
);

describe('defineConfig', () => {
  it('fills defaults', () => {
    assert.deepEqual(def.parse({}), { window_ms: 600_000, mode: 'annotate', nested: { max_entries: 10 } });
    assert.deepEqual(def.defaults(), def.parse(undefined));
  });

  const bad: [string, unknown, RegExp][] = [
    ['unknown top-level key', { windw_ms: 1 }, /p\.windw_ms: unknown key/],
    ['unknown nested key', { nested: { max_entrys: 1 } }, /p\.nested\.max_entrys: unknown key/],
    ['bad value names the constraint', { window_ms: -5 }, /p\.window_ms: .*>0/],
    ['wrong type', { window_ms: '10m' }, /p\.window_ms: .*expected number/],
    ['bad enum', { mode: 'explode' }, /p\.mode: .*"annotate"\|"drop"|p\.mode: .*annotate/],
  ];
  for (const [name, input, pattern] of bad) {
    it(`rejects ${name}`, () => {
      assert.throws(
        () => def.parse(input, 'p'),
        (e: unknown) => e instanceof ConfigError && pattern.test(e.message),
      );
    });
  }

  it('gives a JSON Schema and a README table with defaults and descriptions', () => {
    const schema = def.jsonSchema();
    assert.equal(schema.type, 'object');
    assert.equal(schema.additionalProperties, false, 'unknown keys are rejected in the JSON Schema too');
    const rows = configRows(schema);
    assert.deepEqual(
      rows.map((r) => r.key),
      ['window_ms', 'mode', 'nested', 'nested.max_entries'],
    );
    const table = configTable(rows);
    assert.match(table, /\| `window_ms` \| integer \| `600000` \| Window length\. Default: 600000\. \|/);
    assert.match(table, /\| `mode` \| "annotate" \\\| "drop" \|/);
  });
});

describe('ProcessorRegistry', () => {
  const registry = new ProcessorRegistry().register(dropFactory).register(countFactory);

  it('creates by type/name with the component id and validates with the type schema', () => {
    const p = registry.create('test_drop/strict', { attribute: 'x' }, { now: () => 0 });
    assert.equal(p.metadata.type, 'test_drop');
    assert.throws(
      () => registry.create('test_drop/strict', { atribute: 'x' }, { now: () => 0 }),
      /processors\.test_drop\/strict\.atribute: unknown key/,
    );
  });

  it('names unknown types and lists the known ones', () => {
    assert.throws(
      () => registry.create('nope/x', {}, { now: () => 0 }),
      /processors\.nope\/x: unknown processor type "nope" \(known: test_count, test_drop\)/,
    );
    assert.deepEqual(
      registry.list().map((f) => f.type),
      ['test_count', 'test_drop'],
    );
  });

  it('refuses a type registered twice', () => {
    assert.throws(
      () => new ProcessorRegistry().register(dropFactory).register(dropFactory),
      /registered twice/,
    );
  });
});
