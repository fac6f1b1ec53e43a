/**
 * The back-off: the Collector's defaults and growth, the cap, the randomisation bounds, the server's hint, and
 * max_elapsed_time.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { Backoff, DEFAULT_RETRY } from '../src/index.ts';

describe('Backoff', () => {
  it('starts at initial_interval, grows by the multiplier up to max_interval (no jitter)', () => {
    const b = new Backoff({ ...DEFAULT_RETRY, randomizationFactor: 0, maxElapsedTimeMs: 0 }, 0);
    const waits = Array.from({ length: 7 }, () => b.next(0));
    assert.deepEqual(waits, [5000, 7500, 11250, 16875, 25313, 30000, 30000]);
  });

  it('keeps each wait within ± randomization_factor of the interval', () => {
    const low = new Backoff(DEFAULT_RETRY, 0, () => 0);
    const high = new Backoff(DEFAULT_RETRY, 0, () => 0.999999);
    assert.equal(low.next(0), 2500);
    assert.equal(high.next(0), 7500);
  });

  it('waits at least as long as the server asks', () => {
    const b = new Backoff({ ...DEFAULT_RETRY, randomizationFactor: 0 }, 0);
    assert.equal(b.next(0, 12_000), 12_000);
    assert.equal(b.next(0, 10), 7500);
  });

  it('gives up when the next attempt would start past max_elapsed_time; 0 never gives up', () => {
    const b = new Backoff({ ...DEFAULT_RETRY, randomizationFactor: 0, maxElapsedTimeMs: 10_000 }, 1000);
    assert.equal(b.next(1000), 5000);
    assert.equal(b.next(6000), undefined, '6 s + 7.5 s is past 10 s after the start');
    const never = new Backoff({ ...DEFAULT_RETRY, maxElapsedTimeMs: 0 }, 0);
    assert.ok(never.next(1e12) !== undefined);
    const disabled = new Backoff({ ...DEFAULT_RETRY, enabled: false }, 0);
    assert.equal(disabled.next(0), undefined);
  });

  it('has the Collector’s defaults', () => {
    assert.deepEqual(DEFAULT_RETRY, {
      enabled: true,
      initialIntervalMs: 5000,
      maxIntervalMs: 30_000,
      maxElapsedTimeMs: 300_000,
      multiplier: 1.5,
      randomizationFactor: 0.5,
    });
  });
});
