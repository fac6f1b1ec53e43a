import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { WindowAssigner } from '../../src/internal/window-assigner.ts';

void describe('WindowAssigner', () => {
  void it('puts each time in one tumbling window, start inclusive, end exclusive', () => {
    const w = new WindowAssigner(600_000);
    assert.deepEqual(w.startsFor(1_764_460_800_000), [1_764_460_800_000]);
    assert.deepEqual(w.startsFor(1_764_461_399_999), [1_764_460_800_000]);
    assert.deepEqual(w.startsFor(1_764_461_400_000), [1_764_461_400_000]);
  });

  void it('puts each time in window/hop hopping windows, oldest first', () => {
    const w = new WindowAssigner(60_000, 20_000);
    assert.deepEqual(w.startsFor(65_000), [20_000, 40_000, 60_000]);
    assert.deepEqual(w.startsFor(60_000), [20_000, 40_000, 60_000]);
    assert.deepEqual(w.startsFor(59_999), [0, 20_000, 40_000]);
  });

  void it('handles hops that do not divide the window', () => {
    const w = new WindowAssigner(50_000, 20_000);
    for (const t of [0, 19_999, 45_000, 123_456]) {
      for (const start of w.startsFor(t))
        assert.ok(start <= t && t < start + 50_000, `${t} in [${start}, +50000)`);
      assert.ok(w.startsFor(t).length >= 2);
    }
  });

  void it('far-future timestamp does not hang startsFor: times outside 1970..2200 or not finite have no window', () => {
    // 2^64 s in ms: with 10-minute windows (tumbling, or hopping every 5 minutes) the old loop never ended.
    for (const w of [new WindowAssigner(600_000), new WindowAssigner(600_000, 300_000)])
      for (const t of [2 ** 64 * 1000, 2 ** 53, Date.UTC(2200, 0, 2), -1, NaN, Infinity, -Infinity])
        assert.deepEqual(w.startsFor(t), [], String(t));
    assert.equal(new WindowAssigner(600_000, 60_000).startsFor(Date.UTC(2199, 11, 31)).length, 10);
  });
});
