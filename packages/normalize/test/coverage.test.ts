import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { makeConnection, makeProcessExec } from '@egressguard/core/testing';

import { CoverageTally, formatCoverageTable } from '../src/coverage.ts';

describe('CoverageTally', () => {
  it('counts per host and source format what each connection carried', () => {
    const t = new CoverageTally();
    const aud = {
      'egressguard.source.format': 'auditd',
      'destination.address': '192.0.2.1',
      'destination.port': 80,
    };
    t.observe(makeConnection({ ...aud, 'process.pid': 1 }, { host: 'web-01' }));
    t.observe(makeConnection({ ...aud, 'process.executable.path': '/x' }, { host: 'web-01' }));
    t.observe(makeConnection({ ...aud }, { host: 'web-01' }));
    const zeek = {
      'egressguard.source.format': 'zeek.conn',
      'destination.address': '192.0.2.1',
      'destination.port': 80,
    };
    t.observe(
      makeConnection(
        { ...zeek, 'egressguard.connection.bytes_sent': 10, 'http.request.method': 'GET' },
        { host: 'web-01' },
      ),
    );
    // Port-inferred HTTP is not real HTTP semantics.
    t.observe(
      makeConnection(
        {
          ...zeek,
          'egressguard.connection.bytes_received': 0,
          'network.protocol.name': 'http',
          'egressguard.protocol.inferred': true,
        },
        { host: 'web-01' },
      ),
    );
    assert.equal(t.observe(makeProcessExec({ 'process.pid': 1 })), false);
    t.addMalformed('web-01', 'auditd', 2);
    assert.deepEqual(t.rows(), [
      {
        host: 'web-01',
        format: 'auditd',
        connections: 3,
        withProcess: 2,
        withBytes: 0,
        withHttp: 0,
        malformed: 2,
      },
      { host: 'web-01', format: 'zeek.conn', connections: 2, withProcess: 0, withBytes: 2, withHttp: 1 },
    ]);
    assert.equal(
      formatCoverageTable(t.rows()),
      [
        'host    format     connections  with process  with bytes  with HTTP  malformed lines',
        '------  ---------  -----------  ------------  ----------  ---------  ---------------',
        'web-01  auditd               3         66.7%          0%         0%                2',
        'web-01  zeek.conn            2            0%        100%        50%                -',
      ].join('\n'),
    );
  });
});
