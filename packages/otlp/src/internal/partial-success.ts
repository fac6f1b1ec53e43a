/**
 * The `partial_success.error_message` both OTLP receivers write when some records of a request were rejected.
 */
import type { RejectedRecord } from '../decoded-logs.ts';

/** Reasons named in the message; the rest are counted. */
const MAX_REASONS_IN_MESSAGE = 5;

/** A message naming the first rejected records and their reasons; empty when nothing was rejected. */
export function rejectionMessage(rejected: readonly RejectedRecord[]): string {
  if (rejected.length === 0) return '';
  const shown = rejected.slice(0, MAX_REASONS_IN_MESSAGE).map((r) => `#${r.index}: ${r.reason}`);
  const more =
    rejected.length > MAX_REASONS_IN_MESSAGE ? `; and ${rejected.length - MAX_REASONS_IN_MESSAGE} more` : '';
  return `${rejected.length} log records rejected: ${shown.join('; ')}${more}`;
}
