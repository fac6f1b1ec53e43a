/**
 * Run with --allow-natives-syntax: decodes sample records of many attributes with both decoders, adds two attributes
 * to each (as process attribution does to every connection) and prints how many attribute dictionaries V8 still
 * holds in fast mode, as JSON `{ json: [fast, total], proto: [fast, total] }`.
 */
import { hasFastProperties } from '@egressguard/core/testing';

import { decodeLogsJson, decodeLogsProto, encodeLogsJson, encodeLogsProto } from '../../src/index.ts';
import { sampleRecords } from './sample-records.ts';

// Ten more attributes than the sample records carry, about as many as a sensor's connection record has: a literal
// filled by computed keys turns into a hash dictionary when two more are added, a decoder's dictionary does not.
const records = sampleRecords(50);
for (const r of records) for (let i = 0; i < 12; i++) r.attributes[`egressguard.test.extra_${i}`] = i;

function count(decoded: ReturnType<typeof decodeLogsJson>): [number, number] {
  let fast = 0;
  for (const r of decoded.records) {
    r.attributes['egressguard.attribution.method'] = 'event';
    r.attributes['egressguard.attribution.confidence'] = 1;
    if (hasFastProperties(r.attributes)) fast++;
  }
  return [fast, decoded.records.length];
}

const json = count(decodeLogsJson(encodeLogsJson(records)));
const proto = count(decodeLogsProto(encodeLogsProto(records)));
console.log(JSON.stringify({ json, proto }));
