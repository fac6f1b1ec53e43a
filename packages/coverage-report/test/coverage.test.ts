import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { makeConnection } from '@egressguard/core/testing';

import { coverageOf } from '../src/internal/coverage.ts';

describe('coverageOf', () => {
  const base = { 'destination.address': '192.0.2.1', 'destination.port': 80 };

  it('counts a process from a pid or an executable, and nothing else', () => {
    assert.equal(coverageOf(makeConnection({ ...base, 'process.pid': 1 })).process, true);
    assert.equal(coverageOf(makeConnection({ ...base, 'process.executable.path': '/x' })).process, true);
    assert.equal(coverageOf(makeConnection({ ...base })).process, false);
  });

  it('counts bytes when either direction was counted, a zero included', () => {
    assert.equal(
      coverageOf(makeConnection({ ...base, 'egressguard.connection.bytes_sent': 10 })).bytes,
      true,
    );
    assert.equal(
      coverageOf(makeConnection({ ...base, 'egressguard.connection.bytes_received': 0 })).bytes,
      true,
    );
    assert.equal(coverageOf(makeConnection({ ...base })).bytes, false);
  });

  it('counts real HTTP semantics from the sensor, never HTTP inferred from the port', () => {
    assert.equal(coverageOf(makeConnection({ ...base, 'http.request.method': 'GET' })).http, true);
    assert.equal(
      coverageOf(
        makeConnection({ ...base, 'network.protocol.name': 'http', 'egressguard.protocol.inferred': true }),
      ).http,
      false,
    );
  });
});
