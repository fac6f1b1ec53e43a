import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { IntervalStats } from '../../src/internal/interval-stats.ts';

function exact(starts: number[]): { meanMs: number; cv: number } {
  const sorted = [...starts].sort((a, b) => a - b);
  const iv = sorted.slice(1).map((t, i) => t - sorted[i]);
  const mean = iv.reduce((a, b) => a + b, 0) / iv.length;
  const variance = iv.reduce((a, b) => a + (b - mean) ** 2, 0) / (iv.length - 1);
  return { meanMs: mean, cv: Math.sqrt(variance) / mean };
}

void describe('IntervalStats', () => {
  void it('needs two starts for a mean and three for a CV', () => {
    const s = new IntervalStats(16);
    assert.deepEqual(s.result(), {});
    s.add(1_000);
    assert.deepEqual(s.result(), {});
    s.add(4_000);
    assert.deepEqual(s.result(), { meanMs: 3_000 });
    s.add(7_000);
    assert.deepEqual(s.result(), { meanMs: 3_000, cv: 0 });
  });

  void it('sorts starts that arrive out of order', () => {
    const s = new IntervalStats(16);
    for (const t of [60_000, 0, 180_000, 120_000]) s.add(t);
    assert.deepEqual(s.result(), { meanMs: 60_000, cv: 0 });
  });

  void it('has no CV when every start is the same millisecond', () => {
    const s = new IntervalStats(16);
    for (let i = 0; i < 5; i++) s.add(1_000);
    assert.deepEqual(s.result(), { meanMs: 0 });
  });

  void it('stays exact past its buffer when starts arrive in order', () => {
    const starts: number[] = [];
    let t = 0;
    for (let i = 0; i < 1_000; i++) starts.push((t += 1_000 + ((i * 7919) % 500)));
    const s = new IntervalStats(64);
    for (const x of starts) s.add(x);
    const r = s.result();
    const e = exact(starts);
    assert.ok(Math.abs(r.meanMs! - e.meanMs) < 1e-6);
    assert.ok(Math.abs(r.cv! - e.cv) < 1e-9);
    assert.equal(s.skipped, 0);
    const full = new IntervalStats(1_000);
    for (const x of starts.slice(0, 64)) full.add(x);
    assert.ok(s.bytes < full.bytes, 'never more than a buffer of 64 starts held');
  });

  void it('leaves out, and counts, a start that arrives behind a folded chunk', () => {
    const s = new IntervalStats(4);
    for (const t of [0, 10, 20, 30]) s.add(t);
    s.add(5);
    assert.equal(s.skipped, 1);
    s.add(40);
    assert.deepEqual(s.result(), { meanMs: 10, cv: 0 });
  });

  void it('does not change when read: a window may be corrected later', () => {
    const s = new IntervalStats(8);
    for (const t of [0, 100, 50]) s.add(t);
    const first = s.result();
    assert.deepEqual(s.result(), first);
    s.add(150);
    assert.deepEqual(s.result(), { meanMs: 50, cv: 0 });
  });
});
