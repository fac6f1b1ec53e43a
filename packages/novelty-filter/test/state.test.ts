import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import type { Processor, ProcessorSnapshot } from '@egressguard/core';
import { makeRecord } from '@egressguard/core/testing';
import { EventName, FlowAttr, NoveltyAttr, ProcessAttr, type RecordAttributes } from '@egressguard/schema';

import { noveltyFilterFactory } from '../src/index.ts';
import { noveltyFilterState } from '../src/internal/state.ts';

const DAY = 86_400_000;
const HOUR = 3_600_000;
/** The instant the version 1 fixture was written at. */
const T0 = Date.UTC(2025, 10, 1);
/** The last event time of the version 2 fixture (two weeks of an agent, three hours of an implant). */
const T2 = 1_763_086_499_999;

function fixture(name: string): ProcessorSnapshot {
  return JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8')) as ProcessorSnapshot;
}

function create(raw: Record<string, unknown> = {}): Processor {
  const config = noveltyFilterFactory.config.parse({
    package_database: 'none',
    max_clock_skew_ms: 0,
    ...raw,
  });
  return noveltyFilterFactory.create(config, { id: 'novelty_filter/state', now: () => T0 });
}

async function sighting(p: Processor, path: string, uid: number, endMs: number): Promise<RecordAttributes> {
  const [out] = await p.process([
    makeRecord(
      EventName.HTTP_FLOW,
      {
        [ProcessAttr.EXECUTABLE_PATH]: path,
        [ProcessAttr.USER_ID]: uid,
        [FlowAttr.KEY]: `web-1|${path}`,
        [FlowAttr.WINDOW_START]: endMs - 300_000,
        [FlowAttr.WINDOW_END]: endMs,
        [FlowAttr.CONNECTIONS]: 20,
      },
      { timeMs: endMs, host: 'web-1' },
    ),
  ]);
  assert.ok(out, 'the record passes on');
  return out.attributes;
}

describe('novelty filter state', () => {
  it('restores a version 2 snapshot as the released version wrote it, and writes it back unchanged', async () => {
    const saved = fixture('snapshot-v2.json');
    const p = create();
    p.restore(saved);
    assert.deepEqual(p.snapshot(), saved, 'the same JSON shape and version');
    const agent = await sighting(p, '/opt/agent/bin/agentd', 0, T2 + HOUR);
    assert.equal(agent[NoveltyAttr.STATUS], 'known', 'fourteen days, 42 intervals');
    assert.equal(agent[NoveltyAttr.SEEN_COUNT], 43);
    assert.equal(agent[NoveltyAttr.FIRST_SEEN], 1_761_955_799_999);
    const implant = await sighting(p, '/tmp/.x/kworkerd', 1000, T2 + HOUR);
    assert.equal(implant[NoveltyAttr.STATUS], 'rare', 'three sightings on one day');
    assert.equal(implant[NoveltyAttr.SEEN_INTERVALS], 4);
    await p.shutdown();
  });

  it('restores a version 1 snapshot (before maturity intervals): one interval per day seen', async () => {
    const p = create();
    p.restore(fixture('snapshot-v1.json'));
    const implant = await sighting(p, '/tmp/.x/kworkerd', 1000, T0 + 2 * HOUR);
    assert.equal(
      implant[NoveltyAttr.STATUS],
      'known',
      'two weeks, 14 days: established under the maturity rule',
    );
    assert.equal(implant[NoveltyAttr.SEEN_COUNT], 41);
    assert.equal(implant[NoveltyAttr.SEEN_INTERVALS], 15, 'one interval per day seen, plus this one');
    const curl = await sighting(p, '/usr/bin/curl', 0, T0 + 2 * HOUR);
    assert.equal(curl[NoveltyAttr.SEEN_COUNT], 121);
    assert.equal(curl[NoveltyAttr.SEEN_INTERVALS], 17);
    const again = p.snapshot() as ProcessorSnapshot & { baseline: { entries: unknown[][] } };
    assert.equal(again.version, 2, 'snapshotted in the current version');
    assert.equal(again.baseline.entries.length, 2);
    assert.ok(again.baseline.entries.every((e) => e.length === 10));
    await p.shutdown();
  });

  it('migrates version 1 with the configured maturity interval', () => {
    const v1 = fixture('snapshot-v1.json');
    const lastInterval = (intervalMs: number) =>
      noveltyFilterState({ mature_interval_ms: intervalMs }).decode(v1, 'novelty_filter/state').baseline
        .entries[1][8];
    assert.equal(lastInterval(HOUR), Math.floor(T0 / HOUR));
    assert.equal(lastInterval(DAY), Math.floor(T0 / DAY));
  });

  it('refuses a malformed snapshot, naming the processor and the key', () => {
    const saved = fixture('snapshot-v2.json') as ProcessorSnapshot & { baseline: { entries: unknown[][] } };
    const p = create();
    const broken = structuredClone(saved);
    broken.baseline.entries[1][3] = 'three';
    assert.throws(() => p.restore(broken), /novelty_filter\/state: .*baseline\.entries\[1\]\[3\]/);
    const short = structuredClone(saved);
    short.baseline.entries[0] = short.baseline.entries[0].slice(0, 7);
    assert.throws(() => p.restore(short), /novelty_filter\/state: .*version 2.*baseline\.entries\[0\]/);
    const v1 = fixture('snapshot-v1.json') as ProcessorSnapshot & { baseline: { entries: unknown[][] } };
    v1.baseline.entries[0][0] = 7;
    assert.throws(() => p.restore(v1), /novelty_filter\/state: .*version 1.*baseline\.entries\[0\]\[0\]/);
    assert.throws(() => p.restore({ version: 2 }), /novelty_filter\/state: .*baseline/);
    assert.throws(() => p.restore({ version: 9 }), /novelty_filter\/state: .*unknown version 9/);
  });
});
