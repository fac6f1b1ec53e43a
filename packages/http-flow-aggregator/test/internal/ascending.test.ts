import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { ascending } from '../../src/internal/ascending.ts';
import { seeded } from '../stream.ts';

const byComparator = (values: readonly number[]) => [...values].sort((a, b) => a - b);

describe('ascending', () => {
  it('sorts as the comparator does, for few numbers (insertion) and many (native), call after call', () => {
    const random = seeded(7);
    // Sizes on both sides of the switch, in an order that makes a short sort follow a long one and back.
    for (const n of [0, 1, 2, 3, 64, 65, 5, 200, 63, 1, 1_500, 44, 0, 2_100, 7]) {
      const values = Array.from({ length: n }, () => Math.floor(random() * 1_000_000) / 8);
      const sorted = ascending(values);
      assert.equal(sorted.length, n);
      assert.deepEqual([...sorted], byComparator(values), `${n} numbers`);
    }
  });

  it('sorts nearly ordered times, duplicates and the extremes of a double', () => {
    const t = 1_764_460_800_000.125;
    const cases = [
      [t + 3, t + 1, t + 2, t + 10, t + 9, t + 11, t + 11, t],
      [5, 5, 5, 1, 5],
      [Number.MAX_VALUE, 0, -Number.MAX_VALUE, 2 ** 53, Infinity, -Infinity, 1e-300],
    ];
    for (const values of cases) assert.deepEqual([...ascending(values)], byComparator(values));
  });

  it('leaves its input as it was', () => {
    const values = [3, 1, 2];
    ascending(values);
    assert.deepEqual(values, [3, 1, 2]);
  });
});
