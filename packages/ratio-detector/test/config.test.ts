/** Configuration: defaults, errors naming the key, cross-field checks, and the README table kept current. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { assertProcessorReadme } from '@egressguard/core/testing';

import { ratioDetectorFactory } from '../src/index.ts';
import { detector } from './run.ts';

void describe('ratio detector configuration', () => {
  void it('defaults are the documented ones', () => {
    const d = ratioDetectorFactory.config.defaults();
    assert.deepEqual(d.thresholds, {
      min_connections: 10,
      max_bytes_received_per_connection: 1024,
      max_received_to_sent_ratio: 0.25,
      min_failed_connections: 10,
      regular_interval_cv: 0.25,
      min_sent_to_received_ratio: 4,
      min_bytes_sent: 1_048_576,
      min_active_span_ms: 480_000,
      min_open_connections: 1,
      min_interval_cv: 1,
    });
    assert.equal(d.count, 'external');
    assert.deepEqual(d.qualify, {
      statuses: ['new', 'rare'],
      custom: true,
      custom_known: false,
      allowlisted: false,
      during_learning: false,
      missing_status: false,
    });
    assert.deepEqual(d.rules, {
      an0145: { enabled: true, no_bytes: 'report' },
      an0144_byte_ratio: { enabled: false },
      an0146_long_session: { enabled: false },
    });
    assert.equal(d.adaptive.enabled, false);
    assert.equal(d.overflow, 'report');
    assert.equal(d.interim_flows, 'consume');
    assert.equal(d.suppress_ms, 3_600_000);
    assert.deepEqual(d.role_attributes, ['egressguard.host.role', 'host.type']);
  });

  const bad: [string, unknown, RegExp][] = [
    ['unknown threshold', { thresholds: { min_conns: 3 } }, /thresholds\.min_conns: unknown key/],
    [
      'negative threshold',
      { thresholds: { max_bytes_received_per_connection: -1 } },
      /thresholds\.max_bytes_received_per_connection: /,
    ],
    ['fractional count', { thresholds: { min_connections: 2.5 } }, /thresholds\.min_connections: /],
    ['unknown role key', { roles: { server: { threshold: {} } } }, /roles\.server\.threshold: unknown key/],
    [
      'unknown role threshold',
      { roles: { server: { thresholds: { nope: 1 } } } },
      /roles\.server\.thresholds\.nope: unknown key/,
    ],
    ['bad count', { count: 'internal' }, /count: /],
    ['bad status', { qualify: { statuses: ['fresh'] } }, /qualify\.statuses\[0\]: /],
    ['inventory entry without role', { inventory: [{ host: 'a' }] }, /inventory\[0\]\.role: /],
  ];
  for (const [name, config, match] of bad) {
    void it(`rejects ${name} naming the key`, () => {
      assert.throws(
        () => ratioDetectorFactory.config.parse(config, 'processors.ratio_detector'),
        (e: Error) => {
          assert.match(e.message, match);
          assert.match(e.message, /processors\.ratio_detector\./);
          return true;
        },
      );
    });
  }

  void it('rejects history_windows below min_windows at construction', () => {
    assert.throws(
      () => detector({ adaptive: { min_windows: 10, history_windows: 5 } }),
      /adaptive\.history_windows: must be at least adaptive\.min_windows \(10\), got 5/,
    );
  });

  void it('the README has the processor sections, its contract and configuration table (UPDATE_README=1 regenerates)', () => {
    assertProcessorReadme(new URL('../README.md', import.meta.url), [ratioDetectorFactory]);
  });
});
