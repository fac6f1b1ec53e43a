/**
 * Test helper: where fixtures live, their text, and a whole fixture file read with the reader (its records, errors
 * and summary).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import type { PipelineRecord } from '@egressguard/schema';

import type { ParseError } from '../src/format.ts';
import { readSensorFile, type SensorFileSummary } from '../src/reader.ts';

/** The package's own fixtures. */
export const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
/** The repository root. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** The shared real sensor samples beside the repository. */
export const SHARED_TELEMETRY = path.resolve(REPO_ROOT, '..', 'shared', 'fixtures', 'telemetry');

/** The text of one of the package's own fixtures. */
export function fixtureText(name: string): string {
  return readFileSync(path.join(FIXTURES, name), 'utf8');
}

/** The lines of one of the package's own fixtures. */
export function fixtureLines(name: string): string[] {
  return fixtureText(name).split('\n');
}

/** The text of a shared sample (path below {@link SHARED_TELEMETRY}); undefined when the samples are absent. */
export function sharedSampleText(...segments: string[]): string | undefined {
  try {
    return readFileSync(path.join(SHARED_TELEMETRY, ...segments), 'utf8');
  } catch {
    return undefined;
  }
}

/** Reads a file to the end. */
export async function readAll(
  file: string,
  format: string,
  host = 'replay-host',
): Promise<{ records: PipelineRecord[]; errors: ParseError[]; summary: SensorFileSummary }> {
  const reader = readSensorFile(file, format, { host });
  const records: PipelineRecord[] = [];
  const errors: ParseError[] = [];
  for await (const batch of reader) {
    records.push(...batch.records);
    errors.push(...batch.errors);
  }
  return { records, errors, summary: reader.summary };
}

/** A record as a plain object: event name, time, host and attributes, for field-by-field comparison. */
export function view(record: PipelineRecord): Record<string, unknown> {
  return {
    eventName: record.eventName,
    time: [record.hrTime[0], record.hrTime[1]],
    host: record.resource.attributes['host.name'],
    ...record.attributes,
  };
}
