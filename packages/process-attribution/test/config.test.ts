import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { processAttributionConfig } from '../src/index.ts';

void describe('process_attribution config', () => {
  void it('has working defaults', () => {
    const d = processAttributionConfig.defaults();
    assert.deepEqual(d.rules, ['pid', 'join', 'procfs', 'socket']);
    assert.equal(d.procfs.enabled, false);
    assert.equal(d.procfs.root, '/proc');
    assert.equal(d.hashing.enabled, false);
    assert.equal(d.join.tolerance_ms, 2_000);
  });

  const bad: [string, unknown, string][] = [
    ['unknown top-level key', { rule: ['pid'] }, 'p.rule: unknown key'],
    ['unknown nested key', { join: { tolerance: 5 } }, 'p.join.tolerance: unknown key'],
    ['unknown rule', { rules: ['pid', 'dns'] }, 'p.rules[1]'],
    ['repeated rule', { rules: ['pid', 'pid'] }, 'p.rules: each rule may appear once'],
    ['no rule', { rules: [] }, 'p.rules'],
    ['negative tolerance', { join: { tolerance_ms: -1 } }, 'p.join.tolerance_ms'],
    ['fractional size', { process_table: { max_entries: 1.5 } }, 'p.process_table.max_entries'],
    ['zero hash bound', { hashing: { max_file_bytes: 0 } }, 'p.hashing.max_file_bytes'],
    ['bad scope', { join: { scope: 'fleet' } }, 'p.join.scope'],
    ['empty procfs root', { procfs: { root: '' } }, 'p.procfs.root'],
  ];
  for (const [name, input, message] of bad) {
    void it(`rejects ${name}, naming the key`, () => {
      assert.throws(
        () => processAttributionConfig.parse(input, 'p'),
        (error: Error) => error.name === 'ConfigError' && error.message.includes(message),
      );
    });
  }

  void it('keeps defaults beside a partial section', () => {
    const c = processAttributionConfig.parse({ join: { wait_ms: 0 }, procfs: { enabled: true } });
    assert.equal(c.join.wait_ms, 0);
    assert.equal(c.join.tolerance_ms, 2_000);
    assert.equal(c.procfs.max_event_age_ms, 60_000);
  });
});
