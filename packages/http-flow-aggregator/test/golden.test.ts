/**
 * Golden cases: `test/golden/<case>/` holds `config.json` (the processor config, the batch size the input is fed
 * in, and counters to expect), `input.jsonl` and `expected.jsonl`: everything the processor returns, in order,
 * including what shutdown flushes. Observed times are not compared. Set `EGRESSGUARD_UPDATE_GOLDEN=1` to rewrite
 * the expected files after a deliberate change, then read the diff.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';

import type { ProcessorCounters } from '@egressguard/core';
import type { PipelineRecord } from '@egressguard/schema';

import { httpFlowAggregatorFactory } from '../src/index.ts';
import { diff, fromRecord, parseLines, toRecord } from './golden-format.ts';

const GOLDEN = path.join(import.meta.dirname, 'golden');
const UPDATE = process.env.EGRESSGUARD_UPDATE_GOLDEN === '1';

interface CaseConfig {
  readonly description: string;
  readonly config: unknown;
  readonly batch_size?: number;
  /** `events.<name>` or `dropped.<reason>` → expected count. */
  readonly expect_counters?: Record<string, number>;
}

function counter(counters: ProcessorCounters, name: string): number {
  const [kind, key] = name.split('.', 2) as ['events' | 'dropped', string];
  return counters[kind][key] ?? 0;
}

void describe('golden cases', () => {
  for (const name of readdirSync(GOLDEN).sort()) {
    const dir = path.join(GOLDEN, name);
    const caseConfig = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8')) as CaseConfig;
    void it(`${name}: ${caseConfig.description}`, async () => {
      const config = httpFlowAggregatorFactory.config.parse(caseConfig.config);
      const processor = httpFlowAggregatorFactory.create(config, {
        id: `http_flow_aggregator/${name}`,
        now: () => 1_800_000_000_000,
      });
      const input = parseLines(readFileSync(path.join(dir, 'input.jsonl'), 'utf8')).map(toRecord);
      const size = caseConfig.batch_size ?? 1;
      const output: PipelineRecord[] = [];
      for (let i = 0; i < input.length; i += size)
        output.push(...(await processor.process(input.slice(i, i + size))));
      output.push(...(await processor.shutdown()));
      const actual = output.map(fromRecord);
      const expectedPath = path.join(dir, 'expected.jsonl');
      if (UPDATE) writeFileSync(expectedPath, actual.map((r) => JSON.stringify(r)).join('\n') + '\n');
      const expected = parseLines(readFileSync(expectedPath, 'utf8'));
      const difference = diff(actual, expected, name);
      assert.equal(difference, undefined, difference);
      const counters = processor.counters();
      for (const [key, value] of Object.entries(caseConfig.expect_counters ?? {})) {
        assert.equal(counter(counters, key), value, `${name}: counter ${key}`);
      }
    });
  }
});
