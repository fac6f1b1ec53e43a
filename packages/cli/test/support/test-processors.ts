/**
 * Test doubles: small real processors (through core's BaseProcessor) for configuration and pipeline tests that
 * must not depend on the behaviour of the chain's own processors.
 */
import {
  BaseProcessor,
  ProcessorRegistry,
  defineConfig,
  type ProcessorFactory,
  type ProcessorMetadata,
} from '@egressguard/core';
import type { PipelineRecord } from '@egressguard/schema';
import { z } from 'zod';

const taggerConfig = defineConfig(
  z.strictObject({
    tag: z.string().min(1).default('seen').describe('Value written to `test.tag`. Default: seen.'),
    limits: z
      .strictObject({ max_records: z.int().positive().default(10).describe('Unused bound. Default: 10.') })
      .prefault({}),
  }),
);
type TaggerConfig = ReturnType<typeof taggerConfig.parse>;

const taggerMetadata: ProcessorMetadata = {
  type: 'tagger',
  description: 'Writes test.tag on every record (a test double).',
  stability: 'development',
  stateful: false,
  reads: { events: [], attributes: [] },
  writes: { events: [], attributes: [] },
};

class Tagger extends BaseProcessor {
  override readonly metadata = taggerMetadata;
  private readonly tag: string;
  constructor(config: TaggerConfig, context: ConstructorParameters<typeof BaseProcessor>[0]) {
    super(context);
    this.tag = config.tag;
  }
  protected processBatch(batch: PipelineRecord[]): PipelineRecord[] {
    for (const r of batch) r.attributes['test.tag'] = this.tag;
    return batch;
  }
}

/** A stateless processor type `tagger`. */
export const taggerFactory: ProcessorFactory<TaggerConfig> = {
  type: 'tagger',
  metadata: taggerMetadata,
  config: taggerConfig,
  create: (config, context) => new Tagger(config, context),
};

/** A registry holding only the test doubles. */
export function testRegistry(): ProcessorRegistry {
  return new ProcessorRegistry().register(taggerFactory);
}
