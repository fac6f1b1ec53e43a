/**
 * OTLP times are unsigned 64-bit nanoseconds; the record keeps them as `HrTime` (`[seconds, nanos]`), exactly.
 */
import type { HrTime } from '@opentelemetry/api';
import { hrTimeToMs, isEventTimeInRange, nanosToHrTime } from '@egressguard/schema';

// 2^30 in the high word is 2^62 ns (year 2116): below it, (hi·2^32 + lo) / 2^9 stays under 2^53 and plain
// floating-point arithmetic is exact, which avoids a BigInt per timestamp on the hot path.
const HIGH_WORD_EXACT_LIMIT = 0x40000000;
// 1e9 = 2^9 · 1953125.
const NANOS_ODD_FACTOR = 1953125;

/** Converts the two little-endian 32-bit words of a fixed64 nanosecond time into an exact `HrTime`. */
export function fixed64ToHrTime(lo: number, hi: number): HrTime {
  if (hi >= HIGH_WORD_EXACT_LIMIT) return nanosToHrTime((BigInt(hi) << 32n) | BigInt(lo >>> 0));
  const shifted = hi * 8388608 + (lo >>> 9); // the time in units of 512 ns
  let seconds = Math.floor(shifted / NANOS_ODD_FACTOR);
  let rest = shifted - seconds * NANOS_ODD_FACTOR;
  // The quotient is rounded before floor(): correct the rare off-by-one.
  if (rest < 0) {
    seconds -= 1;
    rest += NANOS_ODD_FACTOR;
  } else if (rest >= NANOS_ODD_FACTOR) {
    seconds += 1;
    rest -= NANOS_ODD_FACTOR;
  }
  return [seconds, rest * 512 + (lo & 511)];
}

const DIGITS = /^\d+$/;

/**
 * Converts OTLP/JSON nanoseconds (a decimal string, as int64 is written in JSON, or a number) into an exact `HrTime`.
 * Throws naming the problem when the value is not a non-negative integer.
 */
export function jsonNanosToHrTime(value: unknown, field: string): HrTime {
  if (typeof value === 'string') {
    if (!DIGITS.test(value))
      throw new Error(
        `${field} must be a decimal integer of nanoseconds, got ${JSON.stringify(value.slice(0, 40))}`,
      );
    if (value.length <= 9) return [0, Number(value)];
    // Splitting the digits keeps all 19 digits exact without a BigInt.
    return [Number(value.slice(0, -9)), Number(value.slice(-9))];
  }
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0)
      throw new Error(`${field} must be a non-negative integer, got ${value}`);
    if (Number.isSafeInteger(value)) return [Math.floor(value / 1e9), value % 1e9];
    return nanosToHrTime(BigInt(value));
  }
  throw new Error(`${field} must be a string or a number, got ${typeof value}`);
}

/**
 * Throws naming the field when a set time is outside 1970..2200: OTLP allows any uint64 (to year 2554), but such a
 * time is corrupt, and the record is rejected on its own before a stage does window arithmetic on it.
 */
export function checkTimes(time: Readonly<HrTime>, observed: Readonly<HrTime>): void {
  for (const [value, field] of [
    [time, 'time_unix_nano'],
    [observed, 'observed_time_unix_nano'],
  ] as const) {
    if ((value[0] !== 0 || value[1] !== 0) && !isEventTimeInRange(hrTimeToMs(value)))
      throw new Error(
        `${field} ${value[0]} s is outside 1970-01-01..2200-01-01 (a corrupt timestamp): record rejected`,
      );
  }
}
