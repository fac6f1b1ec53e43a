/**
 * The input of a JSON-based format: a decoded object (a map body from the Collector's filelog receiver) or one
 * line of JSON text. Returns the object or a reason naming what was wrong.
 */
import type { PipelineRecord } from '@egressguard/schema';

import type { ParseError, ParseOutput } from '../format.ts';

export type JsonObject = Readonly<Record<string, unknown>>;

/** The object, or the reason the input is not one. */
export function jsonObjectOf(
  input: string | JsonObject,
): { readonly object: JsonObject } | { readonly problem: string } {
  if (typeof input !== 'string') return { object: input };
  let value: unknown;
  try {
    value = JSON.parse(input);
  } catch (cause) {
    return { problem: `not valid JSON (${cause instanceof Error ? cause.message : String(cause)})` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    return { problem: 'JSON value is not an object' };
  return { object: value as JsonObject };
}

/** True when `value` is a non-array object. */
export function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A non-empty string field. */
export function str(obj: JsonObject | undefined, key: string): string | undefined {
  const v = obj?.[key];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** An integer field given as a JSON number or a decimal string (Tetragon writes 64-bit counters as strings). */
export function int(obj: JsonObject | undefined, key: string): number | undefined {
  return intOf(obj?.[key]);
}

/** An integer from a JSON number or a decimal string. */
export function intOf(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isSafeInteger(v) ? v : undefined;
  if (typeof v === 'string' && /^-?\d+$/.test(v)) {
    const n = Number(v);
    return Number.isSafeInteger(n) ? n : undefined;
  }
  return undefined;
}

/** A nested object field. */
export function obj(o: JsonObject | undefined, key: string): JsonObject | undefined {
  const v = o?.[key];
  return isObject(v) ? v : undefined;
}

/**
 * One `push` of a format written one JSON object per line: a blank line yields nothing, input that is not a JSON
 * object is an error saying why, and an object goes to `convert`, which adds its records and returns the problem to
 * report on this line, if any.
 */
export function pushJsonObject(
  input: string | JsonObject,
  line: number,
  convert: (object: JsonObject, records: PipelineRecord[]) => string | undefined,
): ParseOutput {
  const records: PipelineRecord[] = [];
  const errors: ParseError[] = [];
  if (typeof input === 'string' && input.trim() === '') return { records, errors };
  const decoded = jsonObjectOf(input);
  if ('problem' in decoded) {
    errors.push({ line, reason: decoded.problem });
    return { records, errors };
  }
  const problem = convert(decoded.object, records);
  if (problem) errors.push({ line, reason: problem });
  return { records, errors };
}
