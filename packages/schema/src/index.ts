/**
 * `@egressguard/schema`: the record schema v1 shared by every stage of the chain.
 */
export {
  EventName,
  ResourceAttr,
  ProcessAttr,
  NetworkAttr,
  ConnectionAttr,
  Outcome,
  HttpAttr,
  ProvenanceAttr,
  BytesKind,
  AttributionAttr,
  AttributionMethod,
  FlowAttr,
  NoveltyAttr,
  NoveltyStatus,
  DetectionAttr,
  CoverageAttr,
  UnreadableInputAttr,
} from './names.ts';
export type { EventNameValue, OutcomeValue, NoveltyStatusValue } from './names.ts';
export { ATTRIBUTE_DOCS, ATTRIBUTE_PREFIX_DOCS, attributeDoc } from './attribute-docs.ts';
export type {
  AttributeDoc,
  AttributeName,
  AttributePlace,
  AttributePrefixName,
  AttributeType,
  AttributeTypeMap,
} from './attribute-docs.ts';
export {
  PipelineRecord,
  attributeDictionaryMaker,
  createResource,
  cloneRecord,
  eventTimeMs,
  hostName,
  hrTimeToMs,
  hrTimeToNanos,
  msToHrTime,
  nanosToHrTime,
  setIfAbsent,
  EVENT_TIME_MIN_MS,
  EVENT_TIME_MAX_MS,
  isEventTimeInRange,
  eventTimeProblem,
} from './record.ts';
export type {
  PipelineRecordInit,
  ReadonlyPipelineRecord,
  ReadonlyRecordAttributes,
  RecordAttributes,
  RecordResource,
  RecordScope,
} from './record.ts';
export {
  asBool,
  asDouble,
  asInt,
  asString,
  asStringArray,
  get,
  getBool,
  getDouble,
  getInt,
  getString,
  getStringArray,
} from './accessors.ts';
export { FLOW_RECORD, SENSOR_RECORD, validateRecord, HAS_PROCESS_KEYS } from './validate.ts';
export type { RecordRequirement, SchemaProblem } from './validate.ts';
export { addressFromBytes, canonicalAddress, parseAddress } from './address.ts';
export type { CanonicalAddress } from './address.ts';
