/** Resource attributes as plain JSON, as a snapshot carries them. */
import type { z } from 'zod';

import type { ReadonlyRecordAttributes } from '@egressguard/schema';

function plain(value: unknown): z.core.util.JSONType {
  if (value === undefined || value === null) return null;
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  return value as string | number | boolean;
}

/** The attributes with `undefined` values left out, bytes as base64 and 64-bit integers as decimal text. */
export function jsonAttributes(attributes: ReadonlyRecordAttributes): Record<string, z.core.util.JSONType> {
  const out: Record<string, z.core.util.JSONType> = {};
  for (const [key, value] of Object.entries(attributes)) if (value !== undefined) out[key] = plain(value);
  return out;
}
