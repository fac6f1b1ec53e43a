/**
 * A record as part of a processor's state: the one way a stage that holds records (a connection waiting for its
 * process) writes them into its snapshot and reads them back. Plain JSON: 64-bit integers (bigint) become decimal
 * strings, which the schema's accessors read as ints; bytes become base64 text.
 */
import { z } from 'zod';

import { PipelineRecord, createResource, type RecordResource } from '@egressguard/schema';

const hrTime = z.tuple([z.number(), z.number()]);

/** The zod schema of a record in a snapshot; use it inside a processor's state schema. */
export const recordStateSchema = z.strictObject({
  eventName: z.string().nullable(),
  hrTime,
  hrTimeObserved: hrTime,
  attributes: z.record(z.string(), z.json()),
  body: z.json(),
  severityText: z.string().nullable(),
  severityNumber: z.number().nullable(),
  resource: z.record(z.string(), z.json()),
  scope: z.strictObject({ name: z.string(), version: z.string().nullable() }),
});

/** A record as a snapshot carries it. */
export type RecordState = z.output<typeof recordStateSchema>;

/** Attribute values, body and resource as plain JSON (bigint as a decimal string, bytes as base64). */
function plain(value: unknown): z.core.util.JSONType {
  if (value === undefined || value === null) return null;
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return value as string | number | boolean;
}

/**
 * Attributes (of a record or a resource) as a snapshot carries them: `undefined` values left out, bigint as a
 * decimal string, bytes as base64.
 */
export function attributesToState(
  attributes: Readonly<Record<string, unknown>>,
): Record<string, z.core.util.JSONType> {
  const out: Record<string, z.core.util.JSONType> = {};
  for (const key of Object.keys(attributes)) {
    const value = attributes[key];
    if (value !== undefined) out[key] = plain(value);
  }
  return out;
}

/** The snapshot form of a record. */
export function recordToState(record: PipelineRecord): RecordState {
  return {
    eventName: record.eventName ?? null,
    hrTime: [record.hrTime[0], record.hrTime[1]],
    hrTimeObserved: [record.hrTimeObserved[0], record.hrTimeObserved[1]],
    attributes: attributesToState(record.attributes),
    body: plain(record.body),
    severityText: record.severityText ?? null,
    severityNumber: record.severityNumber ?? null,
    resource: attributesToState(record.resource.attributes),
    scope: {
      name: record.instrumentationScope.name,
      version: record.instrumentationScope.version ?? null,
    },
  };
}

/**
 * A record again from its snapshot form. Records that shared a resource share one again when the caller passes the
 * same `resources` map for all of them.
 */
export function recordFromState(
  state: RecordState,
  resources: Map<string, RecordResource> = new Map(),
): PipelineRecord {
  const key = JSON.stringify(state.resource);
  let resource = resources.get(key);
  if (!resource) {
    resource = createResource(state.resource);
    resources.set(key, resource);
  }
  return new PipelineRecord({
    hrTime: state.hrTime,
    hrTimeObserved: state.hrTimeObserved,
    attributes: state.attributes,
    ...(state.body !== null ? { body: state.body } : {}),
    resource,
    instrumentationScope: {
      name: state.scope.name,
      ...(state.scope.version !== null ? { version: state.scope.version } : {}),
    },
    ...(state.eventName !== null ? { eventName: state.eventName } : {}),
    ...(state.severityText !== null ? { severityText: state.severityText } : {}),
    ...(state.severityNumber !== null ? { severityNumber: state.severityNumber } : {}),
  });
}
