import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';

import { ChainLogRecordProcessor } from '@egressguard/core';

import { assertRecordsConserved } from '@egressguard/core/testing';

import { CountProcessor, DropProcessor, ctx } from './fixtures.ts';

describe('ChainLogRecordProcessor inside a real SDK LoggerProvider', () => {
  it('drops what the chain drops, passes what passes, and forwards what the chain emits on flush', async () => {
    const exporter = new InMemoryLogRecordExporter();
    const chain = new ChainLogRecordProcessor({
      processors: [
        new DropProcessor({ attribute: 'drop' }, ctx('drop')),
        new CountProcessor({ emit_every: 1000 }, ctx('count')),
      ],
      next: new SimpleLogRecordProcessor({ exporter }),
    });
    const provider = new LoggerProvider({
      resource: resourceFromAttributes({ 'host.name': 'agent-host', 'service.name': 'agent' }),
      processors: [chain],
    });
    const logger = provider.getLogger('egressguard-test', '1.0.0');
    logger.emit({ eventName: 'egressguard.connection', attributes: { n: 1, drop: true }, body: 'dropped' });
    logger.emit({ eventName: 'egressguard.connection', attributes: { n: 2 }, body: 'passes' });

    await provider.forceFlush();
    const exported = exporter.getFinishedLogRecords();
    const bodies = exported.map((r) => r.body);
    assert.ok(!bodies.includes('dropped'), 'a record the chain drops never reaches the exporter');
    assert.ok(bodies.includes('passes'), 'a passing record reaches the exporter');
    const passing = exported.find((r) => r.body === 'passes')!;
    assert.equal(passing.resource.attributes['host.name'], 'agent-host', 'the SDK resource is kept');
    assert.equal(passing.instrumentationScope.name, 'egressguard-test');
    const summary = exported.find((r) => r.attributes['test.count'] !== undefined);
    assert.ok(summary, 'the record the chain emits on flush reaches the exporter');
    assert.equal(
      summary.attributes['test.count'],
      1,
      'the counter saw only the record that passed the drop stage',
    );
    assert.equal(summary.attributes['test.host'], 'agent-host');

    await provider.shutdown();
    await provider.shutdown();
    assertRecordsConserved(chain.balance(), 'sdk chain');
    assert.deepEqual(
      Object.values(chain.balance()).map((b) => [b.recordsIn, b.dropped, b.added]),
      [
        [2, 1, 0],
        [1, 0, 1],
      ],
    );
  });

  it('flushes what the chain holds on shutdown', async () => {
    const exporter = new InMemoryLogRecordExporter();
    const provider = new LoggerProvider({
      resource: resourceFromAttributes({ 'host.name': 'h' }),
      processors: [
        new ChainLogRecordProcessor({
          processors: [new CountProcessor({ emit_every: 1000 }, ctx())],
          next: new SimpleLogRecordProcessor({ exporter }),
        }),
      ],
    });
    provider.getLogger('t').emit({ attributes: { a: 1 } });
    // InMemoryLogRecordExporter forgets on shutdown; capture what it receives.
    const seen: unknown[] = [];
    const original = exporter.export.bind(exporter);
    exporter.export = (records, cb) => {
      seen.push(...records.map((r) => r.attributes['test.count']));
      original(records, cb);
    };
    await provider.shutdown();
    assert.ok(
      seen.includes(1),
      `summary emitted at shutdown reaches the exporter (saw ${JSON.stringify(seen)})`,
    );
  });
});
