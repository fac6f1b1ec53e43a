import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';

import { defineConfig, type ProcessorFactory } from '@egressguard/core';
import { checkConformance, conformanceSuite, makeConnection } from '@egressguard/core/testing';
import type { PipelineRecord } from '@egressguard/schema';

import { CountProcessor, DropProcessor, countFactory, dropFactory } from '../fixtures.ts';

const sampleRecords = () => [
  makeConnection({ n: 1 }, { host: 'h1' }),
  makeConnection({ n: 2 }, { host: 'h2' }),
];

// The suite on the well-behaved test doubles: it must pass.
conformanceSuite(dropFactory, { sampleRecords });
conformanceSuite(countFactory, { sampleRecords, heldRecords: sampleRecords });

async function failedChecks<C>(factory: ProcessorFactory<C>, held = true): Promise<string[]> {
  const results = await checkConformance(factory, {
    sampleRecords,
    ...(held ? { heldRecords: sampleRecords } : {}),
  });
  return results.filter((r) => !r.ok).map((r) => r.check);
}

describe('the conformance suite catches broken processors', () => {
  it('a processor that keeps working after shutdown', async () => {
    class Zombie extends DropProcessor {
      override process(batch: PipelineRecord[]): Promise<PipelineRecord[]> {
        return Promise.resolve(batch);
      }
    }
    const broken: ProcessorFactory<{ attribute: string }> = {
      ...dropFactory,
      create: (c, ctx) => new Zombie(c, ctx),
    };
    assert.deepEqual(await failedChecks(broken, false), ['process after shutdown is a no-op']);
  });

  it('a stateful processor whose shutdown forgets what it holds', async () => {
    class Forgetful extends CountProcessor {
      override shutdown(): Promise<PipelineRecord[]> {
        return Promise.resolve([]);
      }
    }
    const broken: ProcessorFactory<{ emit_every: number }> = {
      ...countFactory,
      create: (c, ctx) => new Forgetful(c, ctx),
    };
    const failed = await failedChecks(broken);
    assert.ok(failed.includes('shutdown flushes held records'), failed.join(', '));
  });

  it('a processor whose restore loses state', async () => {
    class Amnesiac extends CountProcessor {
      protected override restoreState(): void {}
    }
    const broken: ProcessorFactory<{ emit_every: number }> = {
      ...countFactory,
      create: (c, ctx) => new Amnesiac(c, ctx),
    };
    assert.deepEqual(await failedChecks(broken), ['state round-trips through snapshot and restore']);
  });

  it('a config that accepts unknown keys, and defaults that do not validate', async () => {
    const loose = defineConfig(z.object({ emit_every: z.number().int().min(1).default(1000) }));
    const broken: ProcessorFactory<{ emit_every: number }> = { ...countFactory, config: loose };
    assert.deepEqual(await failedChecks(broken), ['unknown keys are rejected with their path']);

    const impossible = defineConfig(z.strictObject({ emit_every: z.number().int().min(1).default(0) }));
    const broken2: ProcessorFactory<{ emit_every: number }> = { ...countFactory, config: impossible };
    const failed = await failedChecks(broken2);
    assert.ok(failed.includes('default config is valid'), failed.join(', '));
  });

  it('incomplete metadata', async () => {
    const broken: ProcessorFactory<{ attribute: string }> = {
      ...dropFactory,
      metadata: { ...dropFactory.metadata, description: '', reads: { events: [], attributes: [] } },
    };
    assert.deepEqual(await failedChecks(broken, false), ['metadata is complete']);
  });

  it('a processor that silently loses the records after one it acted on', async () => {
    class LosesTheRest extends DropProcessor {
      protected override processBatch(batch: PipelineRecord[]): PipelineRecord[] {
        const i = batch.findIndex((r) => r.eventName === 'egressguard.http_flow');
        return i === -1 ? batch : batch.slice(0, i + 1);
      }
    }
    const broken: ProcessorFactory<{ attribute: string }> = {
      ...dropFactory,
      create: (c, ctx) => new LosesTheRest(c, ctx),
    };
    const results = await checkConformance(broken, { sampleRecords, propertyRuns: 200 });
    const failed = results.filter((r) => !r.ok);
    assert.deepEqual(
      failed.map((r) => r.check),
      ['conserves records and is batch-split invariant (property)'],
    );
    assert.match(failed[0].error ?? '', /records_lost must stay 0/);
  });

  it('a processor whose output depends on how the input is cut into batches', async () => {
    class PerBatchSummary extends DropProcessor {
      protected override processBatch(batch: PipelineRecord[]): PipelineRecord[] {
        return [...batch, makeConnection({ 'test.batch_size': batch.length })];
      }
    }
    const broken: ProcessorFactory<{ attribute: string }> = {
      ...dropFactory,
      create: (c, ctx) => new PerBatchSummary(c, ctx),
    };
    const results = await checkConformance(broken, { sampleRecords, propertyRuns: 200 });
    const failed = results.filter((r) => !r.ok);
    assert.deepEqual(
      failed.map((r) => r.check),
      ['conserves records and is batch-split invariant (property)'],
    );
    assert.match(failed[0].error ?? '', /must give the output of one batch/);
  });
});
