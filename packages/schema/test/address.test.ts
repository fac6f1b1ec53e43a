import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import ipaddr from 'ipaddr.js';

import { addressFromBytes, canonicalAddress, parseAddress } from '../src/index.ts';

describe('canonicalAddress', () => {
  const cases: [string, string | undefined][] = [
    ['10.0.0.1', '10.0.0.1'],
    [' 10.0.0.1 ', '10.0.0.1'],
    ['::ffff:10.0.0.1', '10.0.0.1'],
    ['::ffff:0a00:0001', '10.0.0.1'],
    ['[::ffff:1.2.3.4]', '1.2.3.4'],
    ['2001:DB8::1', '2001:db8::1'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['[::1]', '::1'],
    ['fe80::1%eth0', 'fe80::1'],
    ['::', '::'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
    ['1:0:3:4:5:6:7:8', '1:0:3:4:5:6:7:8'],
    ['::1.2.3.4', '::102:304'],
    ['::FFFF:C000:0201', '192.0.2.1'],
    ['1::2::3', undefined],
    ['01.2.3.4', undefined],
    ['256.1.1.1', undefined],
    ['1.2.3', undefined],
    ['1:2:3:4:5:6:7:8:9', undefined],
    ['example.com', undefined],
    ['', undefined],
  ];
  for (const [input, expected] of cases)
    it(`${JSON.stringify(input)} → ${String(expected)}`, () =>
      assert.equal(canonicalAddress(input), expected));

  it('says which network type the canonical form is', () => {
    assert.deepEqual(parseAddress('::ffff:10.0.0.1'), { address: '10.0.0.1', type: 'ipv4' });
    assert.deepEqual(parseAddress('2001:db8::1'), { address: '2001:db8::1', type: 'ipv6' });
  });

  it('gives bytes the same form as text', () => {
    const mapped = new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 192, 0, 2, 1]);
    assert.deepEqual(addressFromBytes(mapped), { address: '192.0.2.1', type: 'ipv4' });
    const v6 = new Uint8Array(16);
    v6[15] = 1;
    assert.deepEqual(addressFromBytes(v6), { address: '::1', type: 'ipv6' });
    assert.deepEqual(addressFromBytes(new Uint8Array([9, 9, 10, 0, 0, 7]), 4, 2), {
      address: '10.0.0.7',
      type: 'ipv4',
    });
    for (const text of ['2001:db8::1:0:0:1', '::102:304', 'fe80::1', '::']) {
      assert.equal(canonicalAddress(addressFromBytes(bytesOf(text)).address), text);
      assert.equal(addressFromBytes(bytesOf(text)).address, text);
    }
  });
});

/** 16 bytes of an IPv6 address, independent of the code under test. */
function bytesOf(text: string): Uint8Array {
  const [head, tail] = text.split('::');
  const parse = (s: string | undefined) => (s ? s.split(':').map((g) => parseInt(g, 16)) : []);
  const left = parse(head);
  const right = parse(tail);
  const groups = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    bytes[2 * i] = g >> 8;
    bytes[2 * i + 1] = g & 0xff;
  });
  return bytes;
}

describe('canonicalAddress on dotted quads', () => {
  it('gives what ipaddr.js gives, whether the text is kept as it is or parsed', () => {
    const octets = [
      '0',
      '1',
      '9',
      '10',
      '99',
      '100',
      '199',
      '200',
      '249',
      '250',
      '255',
      '256',
      '01',
      '00',
      '300',
    ];
    let compared = 0;
    for (const a of octets)
      for (const b of ['0', '255', '01'])
        for (const c of octets) {
          const text = `${a}.${b}.${c}.7`;
          const expected = ipaddr.IPv4.isValidFourPartDecimal(text)
            ? ipaddr.IPv4.parse(text).toString()
            : undefined;
          assert.equal(canonicalAddress(text), expected, text);
          compared++;
        }
    assert.equal(compared, 15 * 3 * 15);
  });
});
