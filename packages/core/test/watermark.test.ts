import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { EventTimeWatermark } from '@egressguard/core';

describe('EventTimeWatermark', () => {
  it('trails the largest event time and never goes back', () => {
    const w = new EventTimeWatermark({ outOfOrderMs: 100, allowedLatenessMs: 1000 });
    assert.equal(w.value, Number.NEGATIVE_INFINITY);
    w.observe(5000);
    w.observe(3000);
    assert.equal(w.value, 4900);
  });

  it('classifies records of a window as on time, late or too late', () => {
    const w = new EventTimeWatermark({ allowedLatenessMs: 1000 });
    w.observe(10_500);
    assert.equal(w.classify(11_000), 'on_time', 'window not yet due');
    assert.equal(w.classify(10_000), 'late', 'due, within lateness');
    assert.equal(w.classify(9_500), 'late', 'exactly at the lateness bound is still correctable');
    assert.equal(w.classify(9_499), 'too_late');
    assert.equal(w.isFinal(9_000), true);
  });

  it('round-trips through JSON', () => {
    const w = new EventTimeWatermark({ allowedLatenessMs: 0 });
    w.observe(42);
    const v = new EventTimeWatermark({ allowedLatenessMs: 0 });
    v.restore(JSON.parse(JSON.stringify(w.toJSON())) as { maxEventMs: number | null });
    assert.equal(v.value, 42);
    const empty = new EventTimeWatermark({ allowedLatenessMs: 0 });
    empty.restore(new EventTimeWatermark({ allowedLatenessMs: 0 }).toJSON());
    assert.equal(empty.value, Number.NEGATIVE_INFINITY);
  });
});
