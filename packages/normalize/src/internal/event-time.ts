/**
 * Timestamps as sensors write them, read exactly into `HrTime` (`[seconds, nanoseconds]`): RFC 3339 with up to nine
 * fraction digits (Tetragon, Falco), Sysmon's `UtcTime` (`2024-03-01 12:00:00.123`, UTC without a zone), and auditd's
 * `seconds.millis`. Going through a JS `Date` would lose everything below the millisecond.
 */
import type { HrTime } from '@opentelemetry/api';

const RFC3339 = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9})\d*)?(Z|z|[+-]\d{2}:?\d{2})?$/;

/** Reads an RFC 3339 timestamp (a missing zone means UTC); `undefined` when it is not one. */
export function parseTimestamp(text: string): HrTime | undefined {
  const m = RFC3339.exec(text.trim());
  if (!m) return undefined;
  let zone = m[4] ?? 'Z';
  if (/^[+-]\d{4}$/.test(zone)) zone = `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const ms = Date.parse(`${m[1]}T${m[2]}${zone.toUpperCase()}`);
  if (!Number.isFinite(ms)) return undefined;
  const nanos = m[3] ? Number(m[3].padEnd(9, '0')) : 0;
  return [Math.floor(ms / 1000), nanos];
}

/** Seconds and a decimal fraction string (`"1700000000"`, `"123"`) as `HrTime`. */
export function secondsAndFraction(seconds: string, fraction: string): HrTime {
  return [Number(seconds), Number(fraction.slice(0, 9).padEnd(9, '0'))];
}

/** Nanoseconds since the epoch (a number, possibly rounded by JSON, or a decimal string) as `HrTime`. */
export function nanosValueToHrTime(value: unknown): HrTime | undefined {
  let n: bigint;
  if (typeof value === 'string' && /^\d+$/.test(value)) n = BigInt(value);
  else if (typeof value === 'number' && Number.isFinite(value) && value > 0) n = BigInt(Math.round(value));
  else return undefined;
  return [Number(n / 1_000_000_000n), Number(n % 1_000_000_000n)];
}

/** `HrTime` as ISO 8601 with nanoseconds (`2024-03-01T12:00:00.123456789Z`). */
export function hrTimeToIso(time: Readonly<HrTime>): string {
  const base = new Date(time[0] * 1000).toISOString().slice(0, 19);
  return `${base}.${String(time[1]).padStart(9, '0')}Z`;
}

/** Milliseconds between two `HrTime`s (`b - a`). */
export function hrDiffMs(a: Readonly<HrTime>, b: Readonly<HrTime>): number {
  return (b[0] - a[0]) * 1000 + (b[1] - a[1]) / 1e6;
}
