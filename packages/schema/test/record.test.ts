import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import {
  ATTRIBUTE_DOCS,
  AttributionAttr,
  ConnectionAttr,
  CoverageAttr,
  UnreadableInputAttr,
  DetectionAttr,
  EventName,
  FlowAttr,
  HttpAttr,
  NetworkAttr,
  NoveltyAttr,
  PipelineRecord,
  ProcessAttr,
  ProvenanceAttr,
  ResourceAttr,
  attributeDictionaryMaker,
  createResource,
  eventTimeMs,
  hostName,
  hrTimeToNanos,
  msToHrTime,
  nanosToHrTime,
  setIfAbsent,
  validateRecord,
  FLOW_RECORD,
  type RecordAttributes,
  type RecordRequirement,
} from '@egressguard/schema';
import { runNativesChild } from '@egressguard/schema/testing';

const resource = createResource({ [ResourceAttr.HOST_NAME]: 'web-1' });
const scope = { name: 'test' };

describe('PipelineRecord', () => {
  it('keeps nanosecond time exactly and derives event time from time, then observed time', () => {
    const nanos = 1_764_460_800_123_456_789n;
    const rec = new PipelineRecord({ hrTime: nanosToHrTime(nanos), resource, instrumentationScope: scope });
    assert.equal(hrTimeToNanos(rec.hrTime), nanos);
    assert.equal(eventTimeMs(rec), 1_764_460_800_123.4568);
    const observedOnly = new PipelineRecord({
      hrTimeObserved: msToHrTime(5000),
      resource,
      instrumentationScope: scope,
    });
    assert.equal(eventTimeMs(observedOnly), 5000);
    assert.equal(eventTimeMs(new PipelineRecord({ resource, instrumentationScope: scope })), undefined);
  });

  it('setIfAbsent never overwrites a sensor value and never writes undefined', () => {
    const rec = new PipelineRecord({
      attributes: { [ProcessAttr.PID]: 10 },
      resource,
      instrumentationScope: scope,
    });
    assert.equal(setIfAbsent(rec, ProcessAttr.PID, 20), false);
    assert.equal(rec.attributes[ProcessAttr.PID], 10);
    assert.equal(setIfAbsent(rec, ProcessAttr.EXECUTABLE_PATH, undefined), false);
    assert.equal(ProcessAttr.EXECUTABLE_PATH in rec.attributes, false);
    assert.equal(setIfAbsent(rec, ProcessAttr.EXECUTABLE_PATH, '/usr/bin/curl'), true);
  });

  it('reads host.name from the shared resource', () => {
    assert.equal(hostName(new PipelineRecord({ resource, instrumentationScope: scope })), 'web-1');
    assert.equal(
      hostName(new PipelineRecord({ resource: createResource({}), instrumentationScope: scope })),
      undefined,
    );
  });
});

describe('attributeDictionaryMaker', () => {
  it('makes empty plain objects, one per call, that behave as literals', () => {
    const make = attributeDictionaryMaker();
    const a = make();
    const b = make();
    assert.notEqual(a, b);
    assert.deepEqual(Object.keys(a), []);
    assert.equal(Object.getPrototypeOf(a), Object.prototype);
    assert.equal(a.constructor, Object);
    for (let i = 0; i < 25; i++) a[`k.${i}`] = i;
    assert.deepEqual(a, Object.fromEntries(Array.from({ length: 25 }, (_, i) => [`k.${i}`, i])));
    assert.equal(b['k.0'], undefined, 'another object is untouched');
    assert.notEqual(attributeDictionaryMaker(), make, 'each maker is its own');
  });

  it('copies the attributes it is given as a spread would: own keys, in order, into an object of its own', () => {
    const make = attributeDictionaryMaker();
    const inherited = Object.create({ 'egressguard.test.inherited': 1 }) as RecordAttributes;
    inherited['process.executable.path'] = '/usr/bin/curl';
    inherited['process.pid'] = 42;
    const copy = make(inherited);
    assert.deepEqual(copy, { ...inherited });
    assert.deepEqual(Object.keys(copy), ['process.executable.path', 'process.pid']);
    copy['process.pid'] = 43;
    assert.equal(inherited['process.pid'], 42, 'the source is untouched');
    assert.equal(Object.getPrototypeOf(copy), Object.prototype);
  });

  it('keeps room inside for the attributes it is made for, however few its first objects have', () => {
    // Whether an object is still a fast V8 object (not a hash dictionary) is only visible to the engine's own
    // functions: a child process with them enabled makes objects with few attributes first, then one with 60.
    const [withoutRoom, withRoom] = runNativesChild<[boolean, boolean]>(
      join(import.meta.dirname, 'support', 'room-child.ts'),
    );
    assert.equal(withoutRoom, false, 'without room: a hash dictionary (the check can fail)');
    assert.equal(withRoom, true, 'with room for 64: still fast');
  });
});

describe('validateRecord', () => {
  it('names what a connection lacks for a requirement a stage defines', () => {
    const aggregatorNeeds: RecordRequirement = {
      name: 'the flow aggregator',
      eventNames: [EventName.CONNECTION],
      required: [NetworkAttr.DESTINATION_ADDRESS, NetworkAttr.DESTINATION_PORT],
      anyOf: [],
      needsHost: true,
    };
    const rec = new PipelineRecord({
      eventName: EventName.CONNECTION,
      attributes: { [NetworkAttr.DESTINATION_ADDRESS]: '203.0.113.9', [ConnectionAttr.BYTES_SENT]: 'lots' },
      resource: createResource({}),
      instrumentationScope: scope,
    });
    const problems = validateRecord(rec, aggregatorNeeds);
    assert.deepEqual(
      problems.map((p) => `${p.problem}:${p.attribute}`),
      [
        'missing:resource.host.name',
        `missing:${NetworkAttr.DESTINATION_PORT}`,
        `wrong_type:${ConnectionAttr.BYTES_SENT}`,
      ],
    );
    assert.match(problems[2].message, /must be int/);
  });

  it('rejects the wrong event name for a stage', () => {
    const rec = new PipelineRecord({
      eventName: EventName.CONNECTION,
      resource,
      instrumentationScope: scope,
    });
    assert.equal(validateRecord(rec, FLOW_RECORD)[0]?.problem, 'wrong_event');
  });

  it('accepts a complete flow record for the detector', () => {
    const rec = new PipelineRecord({
      eventName: EventName.HTTP_FLOW,
      attributes: {
        [FlowAttr.KEY]: 'k',
        [FlowAttr.WINDOW_START]: 0,
        [FlowAttr.WINDOW_END]: '600000',
        [FlowAttr.CONNECTIONS]: 3,
      },
      resource,
      instrumentationScope: scope,
    });
    assert.deepEqual(validateRecord(rec, FLOW_RECORD), []);
  });
});

describe('attribute documentation', () => {
  it('documents every constant exactly once, with a brief and a writer', () => {
    const groups = [
      ResourceAttr,
      ProcessAttr,
      NetworkAttr,
      ConnectionAttr,
      HttpAttr,
      ProvenanceAttr,
      AttributionAttr,
      FlowAttr,
      NoveltyAttr,
      CoverageAttr,
      UnreadableInputAttr,
      DetectionAttr,
    ];
    const constants = groups.flatMap((g) => Object.values(g)).filter((n) => !n.endsWith('.'));
    const documented = ATTRIBUTE_DOCS.map((doc) => doc.name);
    assert.equal(new Set(documented).size, documented.length, 'no duplicate docs');
    assert.deepEqual([...constants].sort(), [...documented].sort());
    for (const doc of ATTRIBUTE_DOCS) {
      assert.ok(doc.brief.length > 5, doc.name);
    }
  });
});
