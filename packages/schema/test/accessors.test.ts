import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { asInt, get, getDouble, ProcessAttr, ConnectionAttr, NoveltyAttr } from '@egressguard/schema';

describe('typed accessors', () => {
  const cases: [string, unknown, number | undefined][] = [
    ['number', 1234, 1234],
    ['decimal string (OTLP/JSON int64)', '1234', 1234],
    ['bigint', 1234n, 1234],
    ['negative string', '-7', -7],
    ['unsafe number', 2 ** 60, undefined],
    ['unsafe string', '99999999999999999999', undefined],
    ['fraction', 1.5, undefined],
    ['garbage string', '12ab', undefined],
    ['empty string', '', undefined],
    ['missing', undefined, undefined],
    ['null', null, undefined],
    ['boolean', true, undefined],
  ];
  for (const [name, input, expected] of cases) {
    it(`asInt: ${name}`, () => assert.equal(asInt(input as never), expected));
  }

  it('get() returns the documented type whatever the transport', () => {
    const attrs = {
      [ProcessAttr.PID]: '4242',
      [ConnectionAttr.BYTES_SENT]: 10n,
      [ConnectionAttr.DURATION_MS]: '12.5',
      [NoveltyAttr.CUSTOM]: 'true',
      [NoveltyAttr.CUSTOM_REASONS]: ['writable_directory'],
    };
    assert.equal(get(attrs, ProcessAttr.PID), 4242);
    assert.equal(get(attrs, ConnectionAttr.BYTES_SENT), 10);
    assert.equal(get(attrs, ConnectionAttr.DURATION_MS), 12.5);
    assert.equal(get(attrs, NoveltyAttr.CUSTOM), true);
    assert.deepEqual(get(attrs, NoveltyAttr.CUSTOM_REASONS), ['writable_directory']);
    assert.equal(get(attrs, ConnectionAttr.BYTES_RECEIVED), undefined, 'missing means unknown, never 0');
    assert.equal(getDouble({ x: 'NaN' }, 'x'), undefined);
  });
});
