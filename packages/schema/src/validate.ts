/**
 * Says what a record lacks for a given stage. Stages call it to count and report unusable records; the CLI's
 * `validate` and tests use it to check fixtures.
 */
import { attributeDoc, type Stage } from './attribute-docs.ts';
import { isReadableAs } from './accessors.ts';
import { EventName, NetworkAttr, ProcessAttr, ResourceAttr, FlowAttr } from './names.ts';
import { eventTimeProblem, type ReadonlyPipelineRecord } from './record.ts';

/** One thing wrong with a record. */
export interface SchemaProblem {
  /** The attribute (or `eventName`, or `resource.host.name`) the problem is about. */
  readonly attribute: string;
  readonly problem: 'missing' | 'wrong_type' | 'wrong_event' | 'out_of_range';
  readonly message: string;
}

/** What a stage needs from a record it acts on. */
export interface StageRequirement {
  /** Event names the stage acts on; other records pass through it untouched. */
  readonly eventNames: readonly string[];
  /** Attributes that must be present. */
  readonly required: readonly string[];
  /** Groups of attributes of which at least one per group must be present. */
  readonly anyOf: readonly (readonly string[])[];
  /** Whether the resource must carry `host.name`. */
  readonly needsHost: boolean;
}

/** The requirements of every stage of the chain. */
export const STAGE_REQUIREMENTS: Readonly<Record<Stage, StageRequirement>> = {
  sensor: {
    eventNames: [EventName.CONNECTION, EventName.PROCESS_EXEC, EventName.PROCESS_EXIT],
    required: [],
    anyOf: [],
    needsHost: false,
  },
  'process-attribution': {
    eventNames: [EventName.CONNECTION],
    required: [],
    anyOf: [[ProcessAttr.PID, NetworkAttr.DESTINATION_ADDRESS]],
    needsHost: true,
  },
  'http-flow-aggregator': {
    eventNames: [EventName.CONNECTION],
    required: [NetworkAttr.DESTINATION_ADDRESS, NetworkAttr.DESTINATION_PORT],
    anyOf: [],
    needsHost: true,
  },
  'novelty-filter': {
    eventNames: [EventName.HTTP_FLOW, EventName.CONNECTION],
    required: [],
    anyOf: [[ProcessAttr.EXECUTABLE_PATH, ProcessAttr.EXECUTABLE_NAME]],
    needsHost: true,
  },
  'ratio-detector': {
    eventNames: [EventName.HTTP_FLOW],
    required: [FlowAttr.KEY, FlowAttr.WINDOW_START, FlowAttr.WINDOW_END, FlowAttr.CONNECTIONS],
    anyOf: [],
    needsHost: true,
  },
  'coverage-report': {
    eventNames: [EventName.CONNECTION],
    required: [],
    anyOf: [],
    needsHost: false,
  },
};

/**
 * Lists what the record lacks for `stage`: a wrong event name, a missing `host.name`, a time or observed time
 * outside 1970..2200, missing required attributes, and documented attributes whose value cannot be read as their documented type. An empty list means usable.
 */
export function validateRecord(record: ReadonlyPipelineRecord, stage: Stage): SchemaProblem[] {
  const req = STAGE_REQUIREMENTS[stage];
  const problems: SchemaProblem[] = [];
  if (record.eventName === undefined || !req.eventNames.includes(record.eventName)) {
    problems.push({
      attribute: 'eventName',
      problem: 'wrong_event',
      message: `${stage} acts on ${req.eventNames.join(', ')}; record has event name ${record.eventName ?? '(none)'}`,
    });
    return problems;
  }
  if (req.needsHost) {
    const host = record.resource.attributes[ResourceAttr.HOST_NAME];
    if (typeof host !== 'string' || host === '') {
      problems.push({
        attribute: `resource.${ResourceAttr.HOST_NAME}`,
        problem: 'missing',
        message: `${stage} keeps state per host and needs resource attribute ${ResourceAttr.HOST_NAME}`,
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
