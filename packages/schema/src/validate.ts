/**
 * Says what a record lacks against a requirement of its kind. Stages call it to count and report unusable records;
 * tests use it to check what a stage writes.
 */
import { attributeDoc } from './attribute-docs.ts';
import { isReadableAs } from './accessors.ts';
import { EventName, ProcessAttr, ResourceAttr, FlowAttr } from './names.ts';
import { eventTimeProblem, type ReadonlyPipelineRecord } from './record.ts';

/** One thing wrong with a record. */
export interface SchemaProblem {
  /** The attribute (or `eventName`, or `resource.host.name`) the problem is about. */
  readonly attribute: string;
  readonly problem: 'missing' | 'wrong_type' | 'wrong_event' | 'out_of_range';
  readonly message: string;
}

/** What a record of one kind must carry to be usable. */
export interface RecordRequirement {
  /** What the requirement is about, as the messages name it (`an egressguard.http_flow record`). */
  readonly name: string;
  /** Event names it applies to. */
  readonly eventNames: readonly string[];
  /** Attributes that must be present. */
  readonly required: readonly string[];
  /** Groups of attributes of which at least one per group must be present. */
  readonly anyOf: readonly (readonly string[])[];
  /** Whether the resource must carry `host.name`. */
  readonly needsHost: boolean;
}

/** A record as a sensor (or normalize) writes it: a connection, a process start or a process exit. */
export const SENSOR_RECORD: RecordRequirement = {
  name: 'a sensor record',
  eventNames: [EventName.CONNECTION, EventName.PROCESS_EXEC, EventName.PROCESS_EXIT],
  required: [],
  anyOf: [],
  needsHost: false,
};

/** An `egressguard.http_flow` record a detector can judge: its key, window and count, on a named host. */
export const FLOW_RECORD: RecordRequirement = {
  name: `an ${EventName.HTTP_FLOW} record`,
  eventNames: [EventName.HTTP_FLOW],
  required: [FlowAttr.KEY, FlowAttr.WINDOW_START, FlowAttr.WINDOW_END, FlowAttr.CONNECTIONS],
  anyOf: [],
  needsHost: true,
};

/**
 * Lists what the record lacks against `req`: a wrong event name, a missing `host.name`, a time or observed time
 * outside 1970..2200, missing required attributes, and documented attributes whose value cannot be read as their documented type. An empty list means usable.
 */
export function validateRecord(record: ReadonlyPipelineRecord, req: RecordRequirement): SchemaProblem[] {
  const stage = req.name;
  const problems: SchemaProblem[] = [];
  if (record.eventName === undefined || !req.eventNames.includes(record.eventName)) {
    problems.push({
      attribute: 'eventName',
      problem: 'wrong_event',
      message: `${stage} is one of ${req.eventNames.join(', ')}; record has event name ${record.eventName ?? '(none)'}`,
    });
    return problems;
  }
  if (req.needsHost) {
    const host = record.resource.attributes[ResourceAttr.HOST_NAME];
    if (typeof host !== 'string' || host === '') {
      problems.push({
        attribute: `resource.${ResourceAttr.HOST_NAME}`,
        problem: 'missing',
        message: `${stage} needs resource attribute ${ResourceAttr.HOST_NAME} (state is kept per host)`,
      });
    }
  }
  const timeProblem = eventTimeProblem(record);
  if (timeProblem !== undefined)
    problems.push({ attribute: 'time', problem: 'out_of_range', message: timeProblem });
  const attrs = record.attributes;
  for (const key of req.required) {
    if (attrs[key] === undefined || attrs[key] === null) {
      problems.push({ attribute: key, problem: 'missing', message: `${stage} needs ${key}` });
    }
  }
  for (const group of req.anyOf) {
    if (!group.some((key) => attrs[key] !== undefined && attrs[key] !== null)) {
      problems.push({
        attribute: group.join('|'),
        problem: 'missing',
        message: `${stage} needs one of ${group.join(', ')}`,
      });
    }
  }
  for (const key of Object.keys(attrs)) {
    const doc = attributeDoc(key);
    const value = attrs[key];
    if (doc === undefined || value === undefined || value === null) continue;
    if (!isReadableAs(value, doc.type)) {
      problems.push({
        attribute: key,
        problem: 'wrong_type',
        message: `${key} must be ${doc.type}, got ${describe(value)}`,
      });
    }
  }
  return problems;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Uint8Array) return 'bytes';
  return `${typeof value} ${JSON.stringify(value)?.slice(0, 40) ?? ''}`;
}

/** Attributes whose presence means a connection record has a process (used by the blind-spot report). */
export const HAS_PROCESS_KEYS: readonly string[] = [
  ProcessAttr.PID,
  ProcessAttr.EXECUTABLE_PATH,
  ProcessAttr.EXECUTABLE_NAME,
];
