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
