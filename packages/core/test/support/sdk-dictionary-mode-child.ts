/**
 * Run with --allow-natives-syntax: emits records of twenty attributes through an SDK `LoggerProvider`, copies each
 * as the SDK adapter does (`fromSdkRecord`), adds what stages add (two attribution attributes, then ten more) and
 * prints how many of the copies' attribute dictionaries V8 still holds in fast mode, as JSON
 * `{ adapter: [fast, total], spread: [fast, total] }`. `spread` is the same done to a spread copy (`{ ...attributes }`),
 * the check's proof that it can fail.
 */
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { LoggerProvider } from '@opentelemetry/sdk-logs';

import { fromSdkRecord } from '../../src/sdk-adapter.ts';
import { hasFastProperties } from '../../src/testing/index.ts';

const emitted: ReadableLogRecord[] = [];
const provider = new LoggerProvider({
  processors: [
    {
      onEmit: (record) => void emitted.push(record),
      forceFlush: () => Promise.resolve(),
      shutdown: () => Promise.resolve(),
    },
  ],
});
for (let r = 0; r < 50; r++) {
  const attributes: Record<string, number> = {};
  for (let i = 0; i < 20; i++) attributes[`egressguard.test.sensor_${i}`] = r * i;
  provider.getLogger('egressguard-test').emit({ eventName: 'egressguard.connection', attributes });
}

function stagesAdd(attributes: Record<string, unknown>): boolean {
  attributes['egressguard.attribution.method'] = 'event';
  attributes['egressguard.attribution.confidence'] = 1;
  for (let i = 0; i < 10; i++) attributes[`egressguard.test.added_${i}`] = i;
  return hasFastProperties(attributes);
}
const count = (dictionaries: Record<string, unknown>[]): [number, number] => [
  dictionaries.filter(stagesAdd).length,
  dictionaries.length,
];
console.log(
  JSON.stringify({
    adapter: count(emitted.map((r) => fromSdkRecord(r).attributes)),
    spread: count(emitted.map((r) => ({ ...r.attributes }))),
  }),
);
