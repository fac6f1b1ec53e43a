/**
 * Run with --allow-natives-syntax: runs a seeded stream through an aggregator with interim updates, adds a dozen
 * attributes to every flow record it emits (the novelty filter adds ten) and prints how many of their attribute
 * dictionaries V8 still holds in fast mode, as JSON `{ flows: [fast, total], literal: [fast, total] }`. `literal`
 * is the same attributes written with computed keys into a literal `{}`: the comparison shows the check can fail.
 */
import { setErrorHandler } from '@egressguard/core';
import { hasFastProperties } from '@egressguard/core/testing';
import { EventName, type RecordAttributes } from '@egressguard/schema';

import { httpFlowAggregatorFactory } from '../../src/index.ts';
import { stream } from '../stream.ts';

// Late records of the seeded stream are reported; what is reported does not matter here.
setErrorHandler(() => {});
const aggregator = httpFlowAggregatorFactory.create(
  httpFlowAggregatorFactory.config.parse({ interim: { enabled: true, min_connections: 2 } }),
  { id: 'http_flow_aggregator/child', now: () => 1_800_000_000_000 },
);
const out = [...(await aggregator.process(stream(2_000))), ...(await aggregator.shutdown())];
const flows = out.filter((r) => r.eventName === EventName.HTTP_FLOW);

function literalCopy(attributes: RecordAttributes): RecordAttributes {
  const copy: RecordAttributes = {};
  for (const name in attributes) copy[name] = attributes[name];
  return copy;
}
function annotate(attributes: RecordAttributes): boolean {
  for (let i = 0; i < 12; i++) attributes[`egressguard.test.added_${i}`] = i;
  return hasFastProperties(attributes);
}
const count = (dictionaries: RecordAttributes[]): [number, number] => [
  dictionaries.filter(annotate).length,
  dictionaries.length,
];
console.log(
  JSON.stringify({
    flows: count(flows.map((r) => r.attributes)),
    literal: count(flows.map((r) => literalCopy(r.attributes))),
  }),
);
