import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  destinationText,
  ipv4Number,
  packAddress,
  packDestinationText,
  unpackDestination,
} from '../../src/internal/destination.ts';

void describe('packed destinations', () => {
  const packs: [address: string, port: number | undefined][] = [
    ['203.0.113.7', 443],
    ['10.0.0.1', 80],
    ['0.0.0.0', 0],
    ['255.255.255.255', 65_535],
    ['93.184.215.14', undefined],
    ['1.2.3.4', 8443],
  ];
  for (const [address, port] of packs) {
    void it(`${destinationText(address, port)} packs, and its text comes back as it was`, () => {
      const packed = packAddress(ipv4Number(address), port);
      assert.ok(packed >= 0 && packed < 2 ** 49 && Number.isInteger(packed));
      assert.equal(unpackDestination(packed), destinationText(address, port));
      assert.equal(packDestinationText(destinationText(address, port)), packed);
    });
  }

  const stays: [address: string, port: number | undefined, why: string][] = [
    ['010.0.0.1', 443, 'a leading zero'],
    ['10.0.0.01', 443, 'a leading zero in the last part'],
    ['256.1.1.1', 443, 'a part above 255'],
    ['1.2.3', 443, 'three parts'],
    ['1.2.3.4.5', 443, 'five parts'],
    ['1..2.3', 443, 'an empty part'],
    ['1.2.3.4 ', 443, 'a trailing space'],
    ['2606:4700::1111', 443, 'IPv6'],
    ['::ffff:10.1.1.1', 443, 'IPv4-mapped IPv6'],
    ['example.com', 443, 'a name'],
    ['1.2.3.4', 65_536, 'a port above 65535'],
    ['1.2.3.4', -1, 'a negative port'],
    ['1.2.3.4', 1.5, 'a fractional port'],
  ];
  for (const [address, port, why] of stays) {
    void it(`${address} port ${port} stays text: ${why}`, () => {
      assert.equal(packAddress(ipv4Number(address), port), -1);
      assert.equal(packDestinationText(destinationText(address, port)), -1);
    });
  }

  void it('takes no text whose packing would not give it back', () => {
    for (const text of ['1.2.3.4:0443', '1.2.3.4:+1', '1.2.3.4:', '1.2.3.4:1e2', '[1.2.3.4]:80', ''])
      assert.equal(packDestinationText(text), -1, text);
  });

  void it('orders addresses as numbers, so that distinct texts are distinct numbers', () => {
    const seen = new Set<number>();
    for (let a = 0; a < 256; a += 51)
      for (let p = 0; p < 65_536; p += 4_099) {
        seen.add(packAddress(ipv4Number(`${a}.1.2.${255 - a}`), p));
        seen.add(packAddress(ipv4Number(`${a}.1.2.${255 - a}`), undefined));
      }
    assert.equal(seen.size, 6 * 16 + 6);
  });
});
