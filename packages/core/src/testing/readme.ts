/**
 * The one README check. A generated section sits between `<!-- NAME:start -->` and `<!-- NAME:end -->` and must be
 * what its source generates; with `UPDATE_README=1` in the environment the README is rewritten instead. A processor
 * package's README also has the same sections, in the same order, as every other processor package's.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';

import { configRows, configTable } from '../config.ts';
import type { ConfigDefinition } from '../config.ts';
import { contractMarkdown } from '../define-processor.ts';
import type { ProcessorFactory } from '../registry.ts';

/** The `##` sections of every processor package's README, in this order. */
export const PROCESSOR_README_SECTIONS = [
  'Contract',
  'How it works',
  'Configuration',
  'State',
  'Counters',
  'Design decisions',
  'Tests and benchmark',
] as const;

/**
 * Asserts (or, with UPDATE_README=1, rewrites) the README's section between `<!-- name:start -->` and
 * `<!-- name:end -->`: it must be `expected`.
 */
export function assertGeneratedSection(readme: URL | string, name: string, expected: string): void {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const text = readFileSync(readme, 'utf8');
  const from = text.indexOf(start);
  const to = text.indexOf(end, from);
  assert.ok(from !== -1 && to > from, `the README needs ${start} and ${end} markers`);
  const current = text.slice(from + start.length, to).trim();
  if (process.env.UPDATE_README === '1' && current !== expected.trim()) {
    writeFileSync(readme, `${text.slice(0, from + start.length)}\n${expected.trim()}\n${text.slice(to)}`);
    return;
  }
  assert.equal(
    current,
    expected.trim(),
    `the README section ${name} is stale: run the tests with UPDATE_README=1`,
  );
}

/** The Markdown reference table of a configuration definition. */
export function configMarkdown(config: ConfigDefinition<unknown>): string {
  return configTable(configRows(config.jsonSchema()));
}

/**
 * Asserts a processor package's README: its `##` sections are {@link PROCESSOR_README_SECTIONS} in order, and for
 * each factory the contract (`<!-- contract:TYPE:… -->`) and configuration table (`<!-- config-table:TYPE:… -->`)
 * are what the factory's definition generates.
 */
export function assertProcessorReadme(
  readme: URL | string,
  factories: readonly ProcessorFactory<unknown>[],
): void {
  const text = readFileSync(readme, 'utf8');
  const sections = [...text.matchAll(/^## (.+)$/gm)].map((m) => m[1].trim());
  assert.deepEqual(
    sections,
    [...PROCESSOR_README_SECTIONS],
    'a processor README has these sections, in this order',
  );
  for (const factory of factories) {
    assertGeneratedSection(readme, `contract:${factory.type}`, contractMarkdown(factory.metadata));
    assertGeneratedSection(readme, `config-table:${factory.type}`, configMarkdown(factory.config));
  }
}

/**
 * Asserts (or rewrites) the README's configuration table of one component, marked
 * `<!-- config-table:ID:start -->` … `<!-- config-table:ID:end -->`.
 */
export function assertReadmeConfigTable(
  readme: URL | string,
  id: string,
  config: ConfigDefinition<unknown>,
): void {
  assertGeneratedSection(readme, `config-table:${id}`, configMarkdown(config));
}
