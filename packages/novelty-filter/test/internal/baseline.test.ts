import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { Baseline, type BaselineOptions } from '../../src/internal/baseline.ts';
import { noveltyFilterState } from '../../src/internal/state.ts';

const DAY = 86_400_000;
const T0 = Date.UTC(2025, 10, 1);
const options: BaselineOptions = {
  maxIdentities: 100,
  historyMs: 14 * DAY,
  learningPeriodMs: DAY,
  rareMinCount: 4,
  matureSpanMs: 0,
  matureIntervalMs: DAY,
  matureMinIntervals: 3,
};

describe('Baseline', () => {
  it('calls nothing new during the learning period, then new → rare → known', () => {
    const b = new Baseline(options);
    const learning = b.observe('a', T0);
    assert.equal(learning.learning, true);
    assert.equal(learning.status, 'rare', 'a first sighting during learning is not new');
    assert.equal(b.observe('b', T0 + DAY - 1).status, 'rare');

    const first = b.observe('x', T0 + DAY);
    assert.deepEqual([first.status, first.learning, first.count, first.days], ['new', false, 1, 1]);
    assert.equal(first.firstSeenMs, T0 + DAY);
    assert.equal(b.observe('x', T0 + DAY + 1000).status, 'rare', 'second sighting');
    assert.equal(b.observe('x', T0 + 2 * DAY).status, 'rare', 'count 3, 2 days');
    const third = b.observe('x', T0 + 3 * DAY);
    assert.deepEqual([third.status, third.count, third.days, third.firstSeenMs], ['known', 4, 3, T0 + DAY]);
  });

  it('forgets an identity unseen for longer than the history window', () => {
    const b = new Baseline(options);
    b.observe('start', T0);
    for (let d = 2; d < 8; d++) b.observe('x', T0 + d * DAY);
    assert.equal(b.observe('x', T0 + 8 * DAY).status, 'known');
    assert.equal(
      b.observe('x', T0 + 8 * DAY + 14 * DAY).status,
      'known',
      'exactly the history window is still remembered',
    );
    const back = b.observe('x', T0 + 22 * DAY + 14 * DAY + 1);
    assert.deepEqual([back.status, back.count, back.firstSeenMs], ['new', 1, T0 + 36 * DAY + 1]);
    assert.equal(b.expire(T0 + 100 * DAY), 2, 'expire() frees what the window forgot');
    assert.equal(b.size, 0);
  });

  it('counts distinct days exactly for out-of-order records', () => {
    const b = new Baseline({ ...options, learningPeriodMs: 0 });
    b.observe('x', T0 + 5 * DAY);
    b.observe('x', T0 + 3 * DAY);
    b.observe('x', T0 + 3 * DAY + 5);
    b.observe('x', T0 + 5 * DAY + 7);
    const s = b.observe('x', T0 + 4 * DAY);
    assert.deepEqual([s.count, s.days, s.firstSeenMs], [5, 3, T0 + 3 * DAY]);
  });

  it('learns from a sighting without describing it exactly as observing it would', () => {
    // The same sightings, one baseline observing them and the other learning from them: the same state after each,
    // and learn() says new exactly when observe() finds the identity unknown or forgotten.
    const observed = new Baseline({ ...options, learningPeriodMs: 0 });
    const learned = new Baseline({ ...options, learningPeriodMs: 0 });
    const sightings: [string, number, boolean][] = [
      ['x', T0 + 2 * DAY, true],
      ['x', T0 + DAY, true],
      ['y', T0 + 2 * DAY + 5, true],
      ['x', T0 + 3 * DAY, false],
      ['y', T0 + 4 * DAY, true],
      ['x', T0 + 30 * DAY, true],
      ['x', T0 + 30 * DAY + 1, true],
    ];
    const news: boolean[] = [];
    for (const [i, [identity, ms, count]] of sightings.entries()) {
      // Past its learning period (none here), observe() calls an unknown or forgotten identity new.
      const sighting = observed.observe(identity, ms, count);
      news.push(learned.learn(identity, ms, count));
      assert.equal(news[i], sighting.status === 'new', `sighting ${i}: new`);
      assert.deepEqual(learned.toJSON(), observed.toJSON(), `sighting ${i}: state`);
    }
    assert.deepEqual(
      news,
      [true, false, true, false, false, true, false],
      'x forgotten after 26 days unseen',
    );
  });

  it('does not count an uncounted re-sighting', () => {
    const b = new Baseline({ ...options, learningPeriodMs: 0 });
    b.observe('x', T0);
    assert.equal(b.observe('x', T0 + DAY, false).count, 1);
  });

  it('evicts the least recently seen identity at the bound and counts it', () => {
    const b = new Baseline({ ...options, maxIdentities: 3, learningPeriodMs: 0 });
    for (const k of ['a', 'b', 'c']) b.observe(k, T0);
    b.observe('a', T0 + 1);
    b.observe('d', T0 + 2);
    assert.equal(b.size, 3);
    assert.equal(b.evictions, 1);
    assert.equal(b.peek('b'), undefined, 'b was least recently seen');
    assert.equal(b.peek('a')?.count, 2);
    for (let i = 0; i < 50; i++) b.observe(`k${i}`, T0 + 3 + i);
    assert.equal(b.evictions, 51);
    assert.equal(b.observe('k49', T0 + 100).count, 2, 'slots are reused without corrupting live identities');
  });

  it('keeps recency order and every identity while its cache grows past its first room, then evicts at the bound', () => {
    // The cache starts with room for 1,024 identities and doubles (2,048, then the bound of 3,000).
    const b = new Baseline({ ...options, maxIdentities: 3_000, learningPeriodMs: 0 });
    for (let i = 0; i < 2_500; i++) b.observe(`id${i}`, T0 + i);
    // The first 100 seen again: now the most recent, so the next evictions take id100 onwards.
    for (let i = 0; i < 100; i++) b.observe(`id${i}`, T0 + 3_000 + i);
    assert.equal(b.size, 2_500);
    assert.equal(b.evictions, 0, 'no eviction below the bound');
    for (let i = 0; i < 2_500; i++) assert.equal(b.peek(`id${i}`)?.count, i < 100 ? 2 : 1, `id${i}`);

    for (let i = 0; i < 700; i++) b.observe(`late${i}`, T0 + 4_000 + i);
    assert.equal(b.size, 3_000);
    assert.equal(b.evictions, 200);
    for (let i = 100; i < 300; i++)
      assert.equal(b.peek(`id${i}`), undefined, `id${i} was least recently seen`);
    for (const kept of ['id0', 'id99', 'id300', 'id2499', 'late699'])
      assert.notEqual(b.peek(kept), undefined, kept);
    assert.equal(b.observe('id0', T0 + 5_000).count, 3, 'slots moved with their identities');
  });

  it('round-trips through its snapshot', () => {
    const a = new Baseline(options);
    a.observe('x', T0);
    a.observe('y', T0 + DAY * 2);
    a.observe('x', T0 + DAY * 3);
    const snap = JSON.parse(JSON.stringify(a.toJSON())) as ReturnType<Baseline['toJSON']>;
    const b = new Baseline(options);
    b.restore(snap);
    assert.deepEqual(b.toJSON(), snap);
    assert.equal(b.learningStartMs, T0);
    assert.deepEqual(b.observe('x', T0 + DAY * 4), a.observe('x', T0 + DAY * 4));

    // Past the cache's first room of 1,024: restored whole under a larger bound, its most recent under a smaller.
    const many = new Baseline({ ...options, maxIdentities: 3_000, learningPeriodMs: 0 });
    for (let i = 0; i < 2_500; i++) many.observe(`id${i}`, T0 + i);
    const big = many.toJSON();
    const whole = new Baseline({ ...options, maxIdentities: 3_000 });
    whole.restore(big);
    assert.deepEqual(whole.toJSON(), big, 'every identity, in recency order');
    const smaller = new Baseline({ ...options, maxIdentities: 2_000 });
    smaller.restore(big);
    assert.equal(smaller.size, 2_000);
    assert.equal(smaller.evictions, 500, 'the evictions count as usual');
    assert.deepEqual(smaller.toJSON().entries, big.entries.slice(500), 'the 2,000 most recently seen');
    // A malformed entry never reaches restore: the state definition refuses it, naming the entry.
    assert.throws(
      () =>
        noveltyFilterState({ mature_interval_ms: 3_600_000 }).decode(
          { version: 2, baseline: { startMs: null, maxEventMs: null, entries: [['x', 1]] } },
          'novelty_filter',
        ),
      /baseline\.entries\[0\]/,
    );
  });
});
