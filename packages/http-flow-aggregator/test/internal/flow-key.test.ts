import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { makeConnection } from '@egressguard/core/testing';
import { ProcessAttr, type RecordAttributes } from '@egressguard/schema';

import {
  flowId,
  flowIdOfKey,
  flowKey,
  isKeyText,
  processKey,
  type KeyOptions,
} from '../../src/internal/flow-key.ts';

const DEFAULT: KeyOptions = { includeDestination: false, attributes: [] };
const destination = { destinationText: '203.0.113.7:443' };

function idAndKey(attrs: RecordAttributes, host = 'web-1', options = DEFAULT): [string, string] {
  const record = makeConnection(attrs, { host });
  return [
    flowId(record, host, destination, options),
    flowKey(record, host, destination.destinationText, options),
  ];
}

void describe('flow ids', () => {
  void it('are the process identity itself for the default key, whose text follows from host and identity', () => {
    for (const [attrs, identity] of [
      [{ [ProcessAttr.EXECUTABLE_PATH]: '/usr/bin/curl' }, '/usr/bin/curl'],
      [{ [ProcessAttr.EXECUTABLE_NAME]: 'curl' }, 'curl'],
      [{ [ProcessAttr.PID]: 77 }, 'pid:77'],
      [{}, 'unattributed'],
      [{ [ProcessAttr.EXECUTABLE_PATH]: '/opt/"quoted"\\dir/ünï' }, '/opt/"quoted"\\dir/ünï'],
    ] as const) {
      for (const host of ['web-1', 'h"q\\', 'höst']) {
        const [id, key] = idAndKey(attrs, host);
        assert.equal(id, identity);
        assert.equal(isKeyText(id), false);
        assert.equal(processKey(host, id), key);
        assert.equal(flowIdOfKey(key, host), id, 'a snapshot key gives the id back');
      }
    }
  });

  void it('are the key text when the key holds more than host and identity, or the identity begins with {', () => {
    const cases: [RecordAttributes, KeyOptions][] = [
      [{ [ProcessAttr.EXECUTABLE_PATH]: '/usr/bin/curl', [ProcessAttr.CONTAINER_ID]: 'c0ffee' }, DEFAULT],
      [{ [ProcessAttr.EXECUTABLE_PATH]: '/usr/bin/curl' }, { includeDestination: true, attributes: [] }],
      [
        { [ProcessAttr.EXECUTABLE_PATH]: '/usr/bin/curl', [ProcessAttr.USER_ID]: 0 },
        { includeDestination: false, attributes: [ProcessAttr.USER_ID] },
      ],
      [{ [ProcessAttr.EXECUTABLE_PATH]: '{"host.name":"web-1","process":"x"}' }, DEFAULT],
    ];
    for (const [attrs, options] of cases) {
      const [id, key] = idAndKey(attrs, 'web-1', options);
      assert.equal(id, key);
      assert.equal(isKeyText(id), true);
      assert.equal(flowIdOfKey(key, 'web-1'), key);
    }
  });

  void it('of a snapshot key that is not exactly host and identity are the key text', () => {
    for (const key of [
      '{"host.name":"web-1","process":"/usr/bin/curl" }',
      '{"host.name":"web-1","process":"a","container.id":"b"}',
      '{"host.name":"web-1","process":1}',
      '{"host.name":"web-2","process":"a"}',
      '{"host.name":"web-1","overflow":true}',
    ])
      assert.equal(flowIdOfKey(key, 'web-1'), key, key);
  });
});
