import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { createResource } from '@egressguard/schema';

import { connectionRecord } from '../../src/formats/internal/connection-record.ts';

const resource = createResource({ 'host.name': 'h' });

describe('connectionRecord', () => {
  it('writes addresses in the canonical form, network.type following the destination', () => {
    const r = connectionRecord(
      resource,
      {},
      {
        'network.type': 'ipv6',
        'source.address': '2001:DB8:0:0:0:0:0:1',
        'destination.address': '::ffff:192.0.2.1',
      },
    );
    assert.equal(r.attributes['source.address'], '2001:db8::1');
    assert.equal(r.attributes['destination.address'], '192.0.2.1');
    assert.equal(r.attributes['network.type'], 'ipv4');
  });

  it('keeps text that is not an IP address as the sensor wrote it', () => {
    const r = connectionRecord(resource, {}, { 'destination.address': 'example.com' });
    assert.equal(r.attributes['destination.address'], 'example.com');
    assert.equal(r.attributes['network.type'], undefined);
  });
});
