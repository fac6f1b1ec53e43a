/**
 * The Service in process, with a stage that awaits (as a stage reading /proc does): requests are acknowledged once
 * logged, the chain works through the log behind them, and a full log refuses what it cannot keep.
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
  reads: { events: [], attributes: [] },
  writes: { events: [], attributes: [] },
};
class Slow extends BaseProcessor {
  override readonly metadata = slowMetadata;
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

  it('answers 503 once the write-ahead log is full, and the chain sees every accepted record exactly once', async () => {
    const registry = testRegistry().register(slowFactory);
    const config = parseConfigText(
      `receivers:
  otlp:
processors:
  slow:
    delay_ms: 300
exporters:
  stdout:
service:
  state:
    directory: ${join(dir, 'state')}
    write_ahead_log:
      max_bytes: 1048576
      segment_bytes: 65536
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
    let accepted = 0;
    let refused: { status: number; retryAfter: string | null; body: string } | undefined;
    try {
      const url = `http://127.0.0.1:${bound.port}/v1/logs`;
      // Each request is acknowledged once logged; the slow stage takes 300 ms per request, so the log fills up.
      for (let i = 0; i < 100 && !refused; i++) {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: connectionRequest('web-1', i * 1000, 1000, Date.UTC(2025, 10, 30, 9)),
        });
        const body = await res.text();
        if (res.status === 200) accepted++;
        else refused = { status: res.status, retryAfter: res.headers.get('retry-after'), body };
      }
    } finally {
      await service.stop();
    }
    assert.ok(accepted >= 2, `accepted ${accepted} requests before the log was full`);
    assert.equal(refused?.status, 503, JSON.stringify(refused));
    assert.ok(Number(refused.retryAfter) >= 1, 'with Retry-After');
    assert.match(refused.body, /write-ahead log full/);
    const counters = service.counters();
    assert.ok(counters.durability.log!.full >= 1, 'the refusal is counted');
    const stage = (counters.pipelines.logs as Record<string, { recordsIn: number }>).slow;
    assert.equal(
      stage.recordsIn,
      accepted * 1000,
      'every accepted record went through the chain once, at shutdown at the latest',
    );
    assert.equal(counters.durability.processedOffset, accepted);
    assertRecordsConserved(counters.balance.logs ?? {}, 'run');
  });
});
