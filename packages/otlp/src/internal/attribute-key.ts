/**
 * Writes one decoded key into an attribute dictionary or kvlist object.
 */
import type { AnyValue } from '@opentelemetry/api';

/**
 * Sets `target[key] = value`, also for the key `__proto__`, which plain assignment would turn into a prototype change
 * of the dictionary instead of an attribute. A repeated key keeps its last value (OTLP forbids duplicates; the last
 * one wins, as in protobuf's own map merging).
 */
export function setDecodedKey(target: Record<string, AnyValue>, key: string, value: AnyValue): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

/**
 * Record attribute dictionaries are made by this constructor, not by `{}`: V8 then gives objects of this shape room
 * for the attributes records carry. An object literal filled with keyed stores turns into a slow hash dictionary
 * when a record that arrived with more than 16 attributes gets a few more (process attribution adds two to every
 * connection), and every read and write of it after that is a hash lookup. The objects are plain: their prototype is
 * `Object.prototype`, as a literal's is.
 */
const AttributeDictionary = function AttributeDictionary() {
  // Nothing to set: the decoder writes the attributes.
} as unknown as new () => Record<string, AnyValue>;
(AttributeDictionary as unknown as { prototype: object }).prototype = Object.prototype;

/** A new, empty attribute dictionary of a record (see {@link AttributeDictionary}). */
export function newAttributeDictionary(): Record<string, AnyValue> {
  return new AttributeDictionary();
}
