/**
 * Typed accessors. Sensors and transports disagree on how an integer travels (a JSON number, a decimal string as
 * OTLP/JSON writes int64, a bigint), so readers accept all of these; a missing or unreadable value is `undefined`,
 * never 0: "missing means unknown".
 */
import type { AnyValue } from '@opentelemetry/api';

import {
  ATTRIBUTE_DOCS,
  type AttributeName,
  type AttributeType,
  type AttributeTypeMap,
} from './attribute-docs.ts';
import type { ReadonlyRecordAttributes } from './record.ts';

const INTEGER = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Reads an integer: a safe-integer number, a decimal-integer string, or a bigint in the safe range. */
export function asInt(value: AnyValue): number | undefined {
  switch (typeof value) {
    case 'number':
      return Number.isSafeInteger(value) ? value : undefined;
    case 'string': {
      if (!INTEGER.test(value)) return undefined;
      const n = Number(value);
      return Number.isSafeInteger(n) ? n : undefined;
    }
    case 'bigint': {
      const n = Number(value);
      return Number.isSafeInteger(n) ? n : undefined;
    }
    default:
      return undefined;
  }
}

/** Reads a finite number from a number, a decimal string or a bigint. */
export function asDouble(value: AnyValue): number | undefined {
  switch (typeof value) {
    case 'number':
      return Number.isFinite(value) ? value : undefined;
    case 'string':
      return DECIMAL.test(value) ? Number(value) : undefined;
    case 'bigint':
      return Number(value);
    default:
      return undefined;
  }
}

/** Reads a non-empty string. */
export function asString(value: AnyValue): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Reads a boolean, accepting the strings `true` and `false`. */
export function asBool(value: AnyValue): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (value === 'true') return true;
  if (value === 'false') return false;
  return undefined;
}

/** Reads an array of strings; non-string elements make the whole value unreadable. */
export function asStringArray(value: AnyValue): string[] | undefined {
  if (!Array.isArray(value)) return undefined;
  for (const v of value) if (typeof v !== 'string') return undefined;
  return value as string[];
}

/** Integer attribute by key. */
export function getInt(attrs: ReadonlyRecordAttributes, key: string): number | undefined {
  return asInt(attrs[key]);
}
/** Floating-point attribute by key. */
export function getDouble(attrs: ReadonlyRecordAttributes, key: string): number | undefined {
  return asDouble(attrs[key]);
}
/** Non-empty string attribute by key. */
export function getString(attrs: ReadonlyRecordAttributes, key: string): string | undefined {
  return asString(attrs[key]);
}
/** Boolean attribute by key. */
export function getBool(attrs: ReadonlyRecordAttributes, key: string): boolean | undefined {
  return asBool(attrs[key]);
}
/** String-array attribute by key. */
export function getStringArray(attrs: ReadonlyRecordAttributes, key: string): string[] | undefined {
  return asStringArray(attrs[key]);
}

/**
 * Reads a documented attribute with the type the schema gives it: `get(attrs, ProcessAttr.PID)` is a
 * `number | undefined` whether the pid arrived as `1234`, `"1234"` or `1234n`.
 */
export function get<K extends AttributeName>(
  attrs: ReadonlyRecordAttributes,
  key: K,
): AttributeTypeMap[K] | undefined {
  const raw = attrs[key];
  // Most reads are of attributes a record does not carry: those need no reader.
  if (raw === undefined) return undefined;
  return (READERS.get(key) ?? asString)(raw) as AttributeTypeMap[K] | undefined;
}

const READER_OF_TYPE: Record<AttributeType, (value: AnyValue) => unknown> = {
  int: asInt,
  double: asDouble,
  boolean: asBool,
  'string[]': asStringArray,
  string: asString,
};
/** The reader of each documented attribute, by name: {@link get} does one lookup per read. */
const READERS = new Map<string, (value: AnyValue) => unknown>(
  ATTRIBUTE_DOCS.map((doc) => [doc.name, READER_OF_TYPE[doc.type]]),
);

/** True when the raw value can be read as the documented type (used by the validator). */
export function isReadableAs(
  value: AnyValue,
  type: 'string' | 'int' | 'double' | 'boolean' | 'string[]',
): boolean {
  switch (type) {
    case 'int':
      return asInt(value) !== undefined;
    case 'double':
      return asDouble(value) !== undefined;
    case 'boolean':
      return asBool(value) !== undefined;
    case 'string[]':
      return asStringArray(value) !== undefined;
    default:
      return typeof value === 'string';
  }
}
