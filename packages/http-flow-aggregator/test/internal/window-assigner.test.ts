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
});
