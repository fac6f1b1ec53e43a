/**
 * The scope object shared by the records of one `ScopeLogs`.
 */
import type { RecordAttributes, RecordScope } from '@egressguard/schema';

/**
 * Builds a scope with only the parts that are set (proto3 defaults mean unset): the encoder writes `version`,
 * attributes and dropped count only when present, so a decode/encode trip gives back the same object shape.
 */
export function makeScope(
  name: string,
  version: string,
  attributes: RecordAttributes | undefined,
  dropped: number,
  schemaUrl: string,
): RecordScope {
  return {
    name,
    ...(version !== '' ? { version } : {}),
    ...(attributes !== undefined ? { attributes } : {}),
    ...(dropped !== 0 ? { droppedAttributesCount: dropped } : {}),
    ...(schemaUrl !== '' ? { schemaUrl } : {}),
  };
}
