/**
 * The Service in process, with a stage that awaits (as a stage reading /proc does): the queue-full refusal must
 * happen before the chain sees a batch, also when requests overlap.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';

import {
  BaseProcessor,
  defineConfig,
  type ProcessorFactory,
  type ProcessorMetadata,
} from '@egressguard/core';
import { assertRecordsConserved } from '@egressguard/core/testing';
import type { PipelineRecord } from '@egressguard/schema';
import { z } from 'zod';

import { parseConfigText } from '../../src/config/load-config.ts';
import { Service } from '../../src/runtime/service.ts';
import { connectionRequest } from '../support/otlp-json.ts';
import { testRegistry } from '../support/test-processors.ts';

const slowConfig = defineConfig(
  z.strictObject({ delay_ms: z.int().nonnegative().default(100).describe('Wait per batch. Default: 100.') }),
);
type SlowConfig = ReturnType<typeof slowConfig.parse>;
const slowMetadata: ProcessorMetadata = {
  type: 'slow',
  description: 'Waits before passing each batch on (a test double for a stage that awaits I/O).',
  stability: 'development',
  stateful: false,
  reads: ['*'],
  writes: [],
};
class Slow extends BaseProcessor {
  readonly metadata = slowMetadata;
  private readonly delayMs: number;
  constructor(config: SlowConfig, context: ConstructorParameters<typeof BaseProcessor>[0]) {
    super(context);
    this.delayMs = config.delay_ms;
  }
  protected async processBatch(batch: PipelineRecord[]): Promise<PipelineRecord[]> {
    await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    return batch;
  }
}
const slowFactory: ProcessorFactory<SlowConfig> = {
  type: 'slow',
  metadata: slowMetadata,
  config: slowConfig,
  create: (config, context) => new Slow(config, context),
};

describe('Service', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'egressguard-service-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses an overlapping request the queue cannot take before the chain sees it', async () => {
    const registry = testRegistry().register(slowFactory);
    const config = parseConfigText(
      `receivers:
  otlp:
processors:
  slow:
exporters:
  stdout:
service:
  state:
    directory: ${join(dir, 'state')}
  queue:
    max_queue_records: 10
    max_batch_records: 1000
    flush_interval_ms: 600000
  pipelines:
    logs:
      receivers: [otlp]
      processors: [slow]
      exporters: [stdout]
`,
      { registry, env: {}, cwd: dir, requireEnds: true },
    );
    const stdout = new PassThrough();
    stdout.resume();
    const service = new Service(config, { listen: '127.0.0.1:0', streams: { stdout }, log: () => undefined });
    const [bound] = await service.start();
    try {
      const url = `http://127.0.0.1:${bound.port}/v1/logs`;
      const post = (first: number) =>
        fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: connectionRequest('web-1', first, 8, Date.UTC(2025, 10, 30, 9)),
        });
      // Both arrive while the first is still in the slow stage: 8 + 8 records do not fit a queue of 10.
      const statuses = (await Promise.all([post(0), post(8)])).map((r) => r.status).sort();
      assert.deepEqual(statuses, [200, 503]);
      const stage = (service.counters().pipelines.logs as Record<string, { recordsIn: number }>).slow;
      assert.equal(
        stage.recordsIn,
        8,
        'the refused request never reached the chain, so its retry is not counted twice',
      );
    } finally {
      await service.stop();
    }
    assertRecordsConserved(service.counters().balance.logs ?? {}, 'run');
  });
});
