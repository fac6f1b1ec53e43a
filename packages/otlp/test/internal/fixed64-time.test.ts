import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { fixed64ToHrTime, jsonNanosToHrTime } from '../../src/internal/fixed64-time.ts';

function expected(nanos: bigint): [number, number] {
  return [Number(nanos / 1_000_000_000n), Number(nanos % 1_000_000_000n)];
}

describe('fixed64ToHrTime', () => {
  it('matches BigInt arithmetic exactly over random and boundary times', () => {
    const samples: bigint[] = [
      0n,
      1n,
      511n,
      512n,
      999_999_999n,
      1_000_000_000n,
      2n ** 53n,
      2n ** 53n + 1n,
      2n ** 62n - 1n,
      2n ** 62n,
      2n ** 64n - 1n,
    ];
    let seed = 12345;
    const next = (): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    for (let i = 0; i < 20000; i++)
      samples.push((BigInt(next()) << 33n) ^ BigInt(next()) ^ (BigInt(next() & 3) << 62n));
    for (const nanos of samples) {
      const lo = Number(nanos & 0xffffffffn);
      const hi = Number((nanos >> 32n) & 0xffffffffn);
      assert.deepEqual(fixed64ToHrTime(lo, hi), expected(nanos), String(nanos));
    }
  });
});

describe('jsonNanosToHrTime', () => {
  it('reads decimal strings of any length and safe numbers exactly, and names bad values', () => {
    assert.deepEqual(jsonNanosToHrTime('1764460800123456789', 't'), [1764460800, 123456789]);
    assert.deepEqual(jsonNanosToHrTime('42', 't'), [0, 42]);
    assert.deepEqual(jsonNanosToHrTime(1_500_000_000, 't'), [1, 500_000_000]);
    assert.throws(() => jsonNanosToHrTime('1e9', 'timeUnixNano'), /timeUnixNano must be a decimal integer/);
    assert.throws(() => jsonNanosToHrTime(-1, 't'), /non-negative integer/);
    assert.throws(() => jsonNanosToHrTime(true, 't'), /string or a number/);
  });
});
