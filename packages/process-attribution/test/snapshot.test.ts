/**
 * Snapshots written by the released version (format version 1) restore, and a restored processor writes the same
 * snapshot back and goes on attributing the records it held.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

import { makeProcessExec } from '@egressguard/core/testing';
import { AttributionAttr, AttributionMethod, ProcessAttr, ProvenanceAttr } from '@egressguard/schema';

import { processAttributionFactory } from '../src/index.ts';

const T0 = Date.parse('2025-11-30T10:00:00Z');
const fixture = JSON.parse(
  readFileSync(new URL('fixtures/snapshot-v1.json', import.meta.url), 'utf8'),
) as Record<string, unknown>;

function create(now = T0 + 1_000) {
  return processAttributionFactory.create(
    processAttributionFactory.config.parse({ join: { wait_ms: 5_000 } }),
    { id: 'process_attribution/test', now: () => now },
  );
}

void describe('snapshot format version 1', () => {
  void it('restores a released snapshot and writes the same one back', async () => {
    const p = create();
    p.restore(structuredClone(fixture) as never);
    assert.deepEqual(p.snapshot(), fixture);
    await p.shutdown();
  });

  void it('attributes the held records of a released snapshot once their process is known', async () => {
    const p = create();
    p.restore(structuredClone(fixture) as never);
    await p.process([
      makeProcessExec(
        {
          [ProcessAttr.PID]: 4242,
          [ProcessAttr.EXECUTABLE_PATH]: '/tmp/.cache/agent',
          [ProcessAttr.CREATION_TIME]: new Date(T0 + 100).toISOString(),
          [ProvenanceAttr.SOURCE_FORMAT]: 'auditd',
        },
        { timeMs: T0 + 100, host: 'web-1' },
      ),
    ]);
    const out = await p.flush();
    const byPort = new Map(out.map((r) => [r.attributes['destination.port'], r.attributes]));
    const held = byPort.get(80)!;
    assert.equal(held[ProcessAttr.PID], 4242);
    assert.equal(held[ProcessAttr.EXECUTABLE_PATH], '/tmp/.cache/agent');
    assert.equal(held[AttributionAttr.METHOD], AttributionMethod.EVENT);
    const zeek = byPort.get(443)!;
    assert.equal(zeek[ProvenanceAttr.SOURCE_FORMAT], 'zeek.conn');
    assert.equal(zeek[AttributionAttr.METHOD], AttributionMethod.NONE);
    await p.shutdown();
  });

  void it('names the processor and the key of a bad snapshot', () => {
    const p = create();
    const bad = structuredClone(fixture) as { held: { timeMs: unknown }[] };
    bad.held[0].timeMs = 'soon';
    assert.throws(() => p.restore(bad as never), /process_attribution\/test.*held/s);
  });
});
