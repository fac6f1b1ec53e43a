import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { canonicalAddress } from '../../src/index.ts';

void describe('canonicalAddress', () => {
  const cases: [string, string | undefined][] = [
    ['192.0.2.1', '192.0.2.1'],
    ['::ffff:192.0.2.1', '192.0.2.1'],
    ['::FFFF:C000:0201', '192.0.2.1'],
    ['2001:DB8::1', '2001:0db8:0000:0000:0000:0000:0000:0001'],
    ['[::1]', '0000:0000:0000:0000:0000:0000:0000:0001'],
    ['fe80::1%eth0', 'fe80:0000:0000:0000:0000:0000:0000:0001'],
    ['::', '0000:0000:0000:0000:0000:0000:0000:0000'],
    ['1:2:3:4:5:6:7:8', '0001:0002:0003:0004:0005:0006:0007:0008'],
    ['1::2::3', undefined],
    ['256.1.1.1', undefined],
    ['example.com', undefined],
  ];
  for (const [input, expected] of cases)
    void it(input, () => assert.equal(canonicalAddress(input), expected));
});
