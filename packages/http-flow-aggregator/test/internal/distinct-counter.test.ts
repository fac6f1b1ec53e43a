import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { DistinctCounter, hash32 } from '../../src/internal/distinct-counter.ts';

void describe('DistinctCounter', () => {
  void it('is exact up to its bound, duplicates included', () => {
    const c = new DistinctCounter(100);
    for (let i = 0; i < 300; i++) c.add(`10.0.0.${i % 100}:443`);
    assert.equal(c.count, 100);
    assert.equal(c.estimated, false);
  });

  void it('switches to an estimate past the bound and says so', () => {
    const c = new DistinctCounter(100);
    for (let i = 0; i < 101; i++) c.add(`h${i}`);
    assert.equal(c.estimated, true);
    assert.ok(Math.abs(c.count - 101) <= 5, `estimate ${c.count} for 101`);
  });

  for (const n of [1_000, 10_000, 200_000]) {
    void it(`estimates ${n} distinct values within 10 % (standard error 3.25 %)`, () => {
      const c = new DistinctCounter(16);
      for (let i = 0; i < n; i++) {
        c.add(`203.0.${(i >> 8) & 255}.${i & 255}:${1024 + (i >> 16)}`);
        if (i % 3 === 0) c.add(`203.0.${(i >> 8) & 255}.${i & 255}:${1024 + (i >> 16)}`);
      }
      assert.ok(Math.abs(c.count - n) / n < 0.1, `estimate ${c.count} for ${n}`);
      assert.ok(c.bytes < 2_000, 'the estimate holds a fixed kilobyte');
    });
  }

  void it('round-trips through JSON, exact and estimated', () => {
    for (const n of [5, 50]) {
      const c = new DistinctCounter(10);
      for (let i = 0; i < n; i++) c.add(`d${i}`);
      const restored = DistinctCounter.fromJSON(
        JSON.parse(JSON.stringify(c.toJSON())) as ReturnType<DistinctCounter['toJSON']>,
        10,
      );
      assert.equal(restored.count, c.count);
      assert.equal(restored.estimated, c.estimated);
      restored.add('d-new');
      c.add('d-new');
      assert.equal(restored.count, c.count);
    }
  });

  void it('hashes spread: no collisions among 50,000 addresses', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 50_000; i++)
      seen.add(hash32(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:443`));
    // Birthday bound for 50,000 values in 2^32: about 0.3 expected collisions.
    assert.ok(seen.size >= 49_997, `${50_000 - seen.size} collisions`);
  });
});
