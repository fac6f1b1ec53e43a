import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';

import type { ProcessorSnapshot } from '@egressguard/core';
import { hostResource } from '@egressguard/core/testing';
import { PipelineRecord } from '@egressguard/schema';

import { normalizeFactory } from '../src/index.ts';

const FIXTURE = path.join(import.meta.dirname, 'fixtures', 'normalize-state-v1.json');
const create = () =>
  normalizeFactory.create(normalizeFactory.config.parse({}), { id: 'normalize', now: () => 0 });

describe('normalize state', () => {
  it('restores a snapshot written by the released version (version 1: open auditd events, held Tetragon connects)', async () => {
    const snapshot = JSON.parse(readFileSync(FIXTURE, 'utf8')) as ProcessorSnapshot;
    const p = create();
    p.restore(snapshot);
    assert.deepEqual(p.counters().state, {
      entries: 2,
      maxEntries: normalizeFactory.config.parse({}).max_parsers,
    });
    // Saved again, the snapshot is the same document.
    assert.deepEqual(JSON.parse(JSON.stringify(p.snapshot())), snapshot);
    // The open auditd events complete with their EOE lines; the held connect is emitted at shutdown.
    const eoe = (serial: number) =>
      new PipelineRecord({
        body: `node=web-01 type=EOE msg=audit(1764460800.10${serial - 5000}:${serial}): `,
        resource: hostResource('audit-host'),
        instrumentationScope: { name: 'filelog' },
      });
    const out = await p.process([eoe(5001), eoe(5002)]);
    assert.deepEqual(
      out.map((r) => r.attributes['egressguard.source.id']),
      ['5001', '5002'],
    );
    assert.equal(out[0].attributes['process.executable.path'], '/tmp/.x/kworkerd');
    const held = await p.shutdown();
    const connect = held.find((r) => r.attributes['egressguard.source.format'] === 'tetragon');
    assert.ok(connect);
    assert.equal(connect.attributes['egressguard.connection.outcome'], 'open');
    assert.equal(connect.resource.attributes['host.name'], 'tetragon-host');
    assert.equal(connect.attributes['process.executable.path'], '/tmp/.x/kworkerd');
  });

  it('rejects a snapshot with a wrong key, naming the processor and the key', () => {
    const snapshot = JSON.parse(
      readFileSync(FIXTURE, 'utf8').replace('"open": [', '"open": "not a list", "was": ['),
    ) as ProcessorSnapshot;
    assert.throws(() => create().restore(snapshot), /normalize: .*parsers\[0\]\.state\.open/);
  });
});
