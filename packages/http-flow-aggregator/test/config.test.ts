import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { ConfigError } from '@egressguard/core';

import { httpFlowAggregatorFactory } from '../src/index.ts';

const PREFIX = 'processors.http_flow_aggregator';

function create(raw: unknown) {
  const config = httpFlowAggregatorFactory.config.parse(raw, PREFIX);
  return httpFlowAggregatorFactory.create(config, { id: 'http_flow_aggregator', now: () => 0 });
}

void describe('configuration', () => {
  void it('has the documented defaults', () => {
    const d = httpFlowAggregatorFactory.config.defaults();
    assert.deepEqual(d.http_ports, [80, 443, 8080, 8000, 8443]);
    assert.deepEqual(d.windowing, { type: 'tumbling', window_ms: 600_000 });
    assert.equal(d.out_of_order_ms, 5_000);
    assert.equal(d.allowed_lateness_ms, 60_000);
    assert.equal(d.idle_flush_ms, 0);
    assert.deepEqual(d.key, { include_destination: false, attributes: [] });
    assert.equal(d.default_internal_ranges, true);
    assert.equal(d.connections, 'pass');
  });

  void it('fills hopping defaults', () => {
    const c = httpFlowAggregatorFactory.config.parse({ windowing: { type: 'hopping' } });
    assert.deepEqual(c.windowing, { type: 'hopping', window_ms: 600_000, hop_ms: 300_000 });
  });

  const rejected: [name: string, raw: unknown, message: RegExp][] = [
    ['unknown top-level key', { window_ms: 1 }, /processors\.http_flow_aggregator\.window_ms: unknown key/],
    [
      'unknown windowing type',
      { windowing: { type: 'session' } },
      /processors\.http_flow_aggregator\.windowing\.type/,
    ],
    [
      'hop_ms on tumbling windows',
      { windowing: { type: 'tumbling', hop_ms: 5 } },
      /windowing\.hop_ms: unknown key/,
    ],
    ['zero window', { windowing: { type: 'tumbling', window_ms: 0 } }, /windowing\.window_ms/],
    ['port out of range', { http_ports: [80, 70_000] }, /http_ports\[1\]/],
    [
      'bad CIDR',
      { internal_ranges: ['10.0.0.0/8', '10.0.0.0/40'] },
      /internal_ranges\[1\]: "10\.0\.0\.0\/40" has prefix length "40"/,
    ],
    [
      'name instead of a range',
      { internal_ranges: ['corp.example'] },
      /internal_ranges\[0\]: "corp\.example" is not an IPv4 or IPv6/,
    ],
    ['connections mode', { connections: 'keep' }, /connections/],
    ['unknown key option', { key: { destination: true } }, /key\.destination: unknown key/],
    ['negative lateness', { allowed_lateness_ms: -1 }, /allowed_lateness_ms/],
    ['zero max_keys', { max_keys: 0 }, /max_keys/],
    [
      'more interim updates a window than a flow can count',
      { interim: { enabled: true, max_per_window: 1_000_001 } },
      /interim\.max_per_window/,
    ],
  ];
  for (const [name, raw, message] of rejected) {
    void it(`rejects ${name}`, () => {
      assert.throws(
        () => httpFlowAggregatorFactory.config.parse(raw, PREFIX),
        (e: Error) => e instanceof ConfigError && message.test(e.message),
      );
    });
  }

  void it('rejects a hop longer than the window at construction, naming the key', () => {
    assert.throws(
      () => create({ windowing: { type: 'hopping', window_ms: 60_000, hop_ms: 120_000 } }),
      (e: Error) =>
        e instanceof ConfigError && /windowing\.hop_ms: must be at most window_ms/.test(e.message),
    );
  });

  void it('rejects hops so short that a connection would enter too many windows', () => {
    assert.throws(
      () => create({ windowing: { type: 'hopping', window_ms: 600_000, hop_ms: 1_000 } }),
      (e: Error) =>
        e instanceof ConfigError &&
        /windowing\.hop_ms: window_ms \/ hop_ms must be at most 60/.test(e.message),
    );
  });

  void it('accepts a valid hopping configuration', async () => {
    const p = create({ windowing: { type: 'hopping', window_ms: 600_000, hop_ms: 60_000 } });
    assert.deepEqual(await p.shutdown(), []);
  });
});
