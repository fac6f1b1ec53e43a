import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  AddressClassifier,
  DEFAULT_INTERNAL_RANGES,
  parseRange,
} from '../../src/internal/address-classifier.ts';
import { ipv4Number } from '../../src/internal/destination.ts';

void describe('AddressClassifier', () => {
  const classifier = new AddressClassifier();

  const cases: [address: string, expected: 'internal' | 'external' | undefined, why: string][] = [
    ['10.1.2.3', 'internal', 'RFC 1918 10/8'],
    ['172.16.0.1', 'internal', 'RFC 1918 172.16/12, low end'],
    ['172.31.255.254', 'internal', 'RFC 1918 172.16/12, high end'],
    ['172.32.0.1', 'external', 'just past 172.16/12'],
    ['192.168.10.20', 'internal', 'RFC 1918 192.168/16'],
    ['127.0.0.53', 'internal', 'loopback'],
    ['169.254.169.254', 'internal', 'link-local (cloud metadata)'],
    ['100.64.0.1', 'internal', 'carrier-grade NAT 100.64/10'],
    ['100.128.0.1', 'external', 'just past 100.64/10'],
    ['239.255.255.250', 'internal', 'multicast (SSDP)'],
    ['93.184.215.14', 'external', 'public IPv4'],
    ['::1', 'internal', 'IPv6 loopback'],
    ['fd12:3456::1', 'internal', 'unique local fc00::/7'],
    ['fe80::1', 'internal', 'IPv6 link-local'],
    ['fe80::1%eth0', 'internal', 'zone id ignored'],
    ['[fe80::1]', 'internal', 'brackets ignored'],
    ['ff02::fb', 'internal', 'IPv6 multicast'],
    ['2606:4700::1111', 'external', 'public IPv6'],
    ['::ffff:10.1.1.1', 'internal', 'IPv4-mapped private address'],
    ['::ffff:5db8:d70e', 'external', 'IPv4-mapped public address, hex form'],
    ['::ffff:a01:101', 'internal', 'IPv4-mapped 10.1.1.1, hex form'],
    ['example.com', undefined, 'a name is not an address'],
    ['', undefined, 'empty'],
    ['10.1.2', undefined, 'incomplete address'],
  ];
  for (const [address, expected, why] of cases) {
    void it(`${address || '(empty)'} is ${expected ?? 'unclassified'}: ${why}`, () => {
      assert.equal(classifier.classify(address), expected);
    });
  }

  void it('adds configured ranges to the defaults', () => {
    const c = new AddressClassifier({ ranges: ['198.51.100.0/24', '2001:db8::/32', '203.0.113.7'] });
    assert.equal(c.classify('198.51.100.200'), 'internal');
    assert.equal(c.classify('198.51.101.1'), 'external');
    assert.equal(c.classify('2001:db8:1::5'), 'internal');
    assert.equal(c.classify('203.0.113.7'), 'internal');
    assert.equal(c.classify('203.0.113.8'), 'external');
    assert.equal(c.classify('10.0.0.1'), 'internal');
    assert.equal(c.ranges.length, DEFAULT_INTERNAL_RANGES.length + 3);
  });

  void it('replaces the defaults when asked', () => {
    const c = new AddressClassifier({ ranges: ['10.20.0.0/16'], includeDefaults: false });
    assert.equal(c.classify('10.20.1.1'), 'internal');
    assert.equal(c.classify('10.21.1.1'), 'external');
    assert.equal(c.classify('192.168.1.1'), 'external');
  });
});

void describe('AddressClassifier.classifyIPv4', () => {
  void it('answers as classify does for every dotted quad, past its cache bound and again after evictions', () => {
    const byNumber = new AddressClassifier({ ranges: ['203.0.113.0/25'], cacheSize: 4 });
    const byText = new AddressClassifier({ ranges: ['203.0.113.0/25'] });
    // Either side of every default IPv4 range's edge and of the configured one, and the top bit set (negative as
    // a signed 32-bit number): more addresses than the cache holds, twice over.
    const addresses = [
      '9.255.255.255',
      '10.0.0.0',
      '10.255.255.255',
      '11.0.0.0',
      '172.15.255.255',
      '172.16.0.1',
      '172.31.255.255',
      '172.32.0.0',
      '192.168.0.1',
      '192.169.0.1',
      '127.0.0.1',
      '169.254.1.1',
      '100.64.0.1',
      '100.128.0.1',
      '203.0.113.1',
      '203.0.113.127',
      '203.0.113.128',
      '8.8.8.8',
      '224.0.0.1',
      '255.255.255.255',
      '0.0.0.0',
    ];
    for (let round = 0; round < 2; round++) {
      for (const address of addresses) {
        const ip = ipv4Number(address);
        assert.ok(ip >= 0, address);
        assert.equal(byNumber.classifyIPv4(ip, address), byText.classify(address), address);
      }
    }
    assert.equal(byNumber.classifyIPv4(ipv4Number('203.0.113.5'), '203.0.113.5'), 'internal');
    assert.equal(byNumber.classifyIPv4(ipv4Number('203.0.113.200'), '203.0.113.200'), 'external');
  });
});

void describe('parseRange', () => {
  void it('reads CIDR and single addresses', () => {
    assert.deepEqual(parseRange('10.0.0.0/8'), { address: '10.0.0.0', prefix: 8, family: 'ipv4' });
    assert.deepEqual(parseRange('2001:db8::/32'), { address: '2001:db8::', prefix: 32, family: 'ipv6' });
    assert.deepEqual(parseRange('192.0.2.1'), { address: '192.0.2.1', prefix: 32, family: 'ipv4' });
  });

  void it('names what is wrong', () => {
    assert.throws(() => parseRange('10.0.0.0/33'), /prefix length "33"; ipv4 prefixes are 0 to 32/);
    assert.throws(() => parseRange('fe80::/129'), /ipv6 prefixes are 0 to 128/);
    assert.throws(() => parseRange('10.0.0.0/x'), /prefix length "x"/);
    assert.throws(() => parseRange('intranet/8'), /not an IPv4 or IPv6 address/);
  });
});
