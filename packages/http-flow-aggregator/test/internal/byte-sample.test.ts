import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { ByteSample, medianAndP90, quantile } from '../../src/internal/byte-sample.ts';
import { seeded } from '../stream.ts';

void describe('quantile (type 7)', () => {
  void it('matches NumPy and R defaults', () => {
    assert.equal(quantile([1, 2, 3, 4], 0.5), 2.5);
    assert.equal(quantile([100, 200, 300], 0.9), 280);
    assert.equal(quantile([7], 0.9), 7);
    assert.equal(quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9), 9.1);
    assert.equal(quantile([], 0.5), undefined);
  });
});

void describe('medianAndP90', () => {
  void it('gives, by selection, exactly the quantiles of the sorted values, whatever their order, size and ties', () => {
    const next = seeded(7);
    const random = (below: number) => Math.floor(next() * below);
    const orders: [string, (n: number) => number[]][] = [
      ['random', (n) => Array.from({ length: n }, () => random(1_000_000))],
      ['many ties', (n) => Array.from({ length: n }, () => 40 + random(3))],
      ['all equal', (n) => Array.from({ length: n }, () => 45)],
      ['ascending', (n) => Array.from({ length: n }, (_, i) => i * 3)],
      ['descending', (n) => Array.from({ length: n }, (_, i) => n - i)],
      ['organ pipe', (n) => Array.from({ length: n }, (_, i) => Math.min(i, n - i))],
    ];
    const out: [number, number] = [0, 0];
    // Past 256 values its work buffer grows.
    for (const n of [1, 2, 3, 4, 5, 9, 10, 11, 20, 63, 64, 65, 100, 255, 256, 257, 1_000]) {
      for (const [name, make] of orders) {
        const values = make(n);
        const copy = [...values];
        const sorted = [...values].sort((a, b) => a - b);
        medianAndP90(values, out);
        assert.deepEqual(out, [quantile(sorted, 0.5), quantile(sorted, 0.9)], `${name}, ${n} values`);
        assert.deepEqual(values, copy, 'the values themselves are left as they were');
      }
    }
  });
});

void describe('ByteSample', () => {
  void it('is exact while every connection fits', () => {
    const s = new ByteSample(10, 1);
    for (const v of [5, 1, 4, 2, 3]) s.add(v, v * 10);
    assert.equal(s.exact, true);
    assert.deepEqual(s.quantiles(), { sentMedian: 3, sentP90: 4.6, receivedMedian: 30, receivedP90: 46 });
  });

  void it('keeps sent and received paired', () => {
    const s = new ByteSample(16, 7);
    for (let i = 1; i <= 5_000; i++) s.add(i, i * 2);
    const q = s.quantiles();
    assert.equal(q.receivedMedian, q.sentMedian! * 2);
  });

  void it('samples uniformly past its size: the median of 1..100000 lands near 50000', () => {
    const s = new ByteSample(256, 42);
    for (let i = 1; i <= 100_000; i++) s.add(i, 0);
    assert.equal(s.exact, false);
    const { sentMedian, sentP90 } = s.quantiles();
    // A uniform sample of 256 has a median within about ±6 % (3 standard errors) of the population's.
    assert.ok(Math.abs(sentMedian! - 50_000) < 10_000, `median ${sentMedian}`);
    assert.ok(Math.abs(sentP90! - 90_000) < 6_000, `p90 ${sentP90}`);
  });

  void it('continues identically after a JSON round trip', () => {
    const a = new ByteSample(8, 3);
    for (let i = 0; i < 100; i++) a.add(i, i);
    const b = ByteSample.fromJSON(
      JSON.parse(JSON.stringify(a.toJSON())) as ReturnType<ByteSample['toJSON']>,
      8,
    );
    for (let i = 100; i < 500; i++) {
      a.add(i, i);
      b.add(i, i);
    }
    assert.deepEqual(b.toJSON(), a.toJSON());
  });
});
