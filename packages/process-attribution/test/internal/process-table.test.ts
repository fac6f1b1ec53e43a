import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { ProcessTable } from '../../src/internal/process-table.ts';

const table = () => new ProcessTable({ maxEntries: 100, exitRetentionMs: 10_000, lifetimeSlackMs: 500 });

void describe('ProcessTable', () => {
  void it('ends a lifetime where the next process with the same pid starts, when no exit was seen', () => {
    const t = table();
    t.addExec('h', 5, 1_000, { 'process.executable.path': '/a' });
    t.addExec('h', 5, 9_000, { 'process.executable.path': '/b' });
    const at = (ms: number) => {
      const r = t.lookup('h', 5, ms);
      return r.kind === 'found' ? r.entry.attributes['process.executable.path'] : r.kind;
    };
    assert.equal(at(2_000), '/a');
    assert.equal(at(8_999), '/a');
    assert.equal(at(9_001), '/b');
    assert.equal(at(600), '/a', 'within the slack before the start');
    assert.equal(at(0), 'unknown');
    assert.equal(t.lookup('other-host', 5, 2_000).kind, 'unknown', 'hosts are apart');
  });

  void it('gives the instant a pid is reused to the process that starts then', () => {
    const t = table();
    t.addExec('h', 5, 1_000, { 'process.executable.path': '/a' });
    t.addExec('h', 5, 9_000, { 'process.executable.path': '/b' });
    const r = t.lookup('h', 5, 9_000);
    assert.ok(r.kind === 'found');
    assert.equal(r.entry.attributes['process.executable.path'], '/b');
  });

  void it('closes the previous owner of a reused pid with an exit at (or just before) the next start', () => {
    for (const exitMs of [9_000, 8_800]) {
      const t = table();
      t.addExec('h', 5, 1_000, { 'process.executable.path': '/a' });
      // Execs are learned before exits in a batch, so the exit of /a can come after the exec of /b.
      t.addExec('h', 5, 9_000, { 'process.executable.path': '/b' });
      assert.equal(t.addExit('h', 5, exitMs), true);
      const later = t.lookup('h', 5, 20_000);
      assert.ok(later.kind === 'found', `exit at ${exitMs}: /b is still running at 20000`);
      assert.equal(later.entry.attributes['process.executable.path'], '/b');
      const before = t.lookup('h', 5, 5_000);
      assert.ok(before.kind === 'found');
      assert.equal(before.entry.attributes['process.executable.path'], '/a');
    }
  });

  void it('still gives an exit within the slack before the only start to that process', () => {
    const t = table();
    t.addExec('h', 5, 1_000, {});
    assert.equal(t.addExit('h', 5, 800), true, 'sensors stamp times differently');
    assert.equal(t.lookup('h', 5, 5_000).kind, 'gone');
  });

  void it('merges a second report of the same start instead of adding a process', () => {
    const t = table();
    t.addExec('h', 5, 1_000, { 'process.executable.path': '/a' });
    t.addExec('h', 5, 1_000, { 'process.command_line': '/a -x', 'process.executable.path': '/other' });
    assert.equal(t.size, 1);
    const r = t.lookup('h', 5, 1_500);
    assert.ok(r.kind === 'found');
    assert.deepEqual(r.entry.attributes, {
      'process.executable.path': '/a',
      'process.command_line': '/a -x',
    });
  });

  void it('sweeps exited processes after the retention, measured on the host event time', () => {
    const t = table();
    t.addExec('h', 5, 1_000, {});
    assert.equal(t.addExit('h', 5, 2_000), true);
    assert.equal(t.addExit('h', 6, 2_000), false, 'exit of an unknown pid');
    t.observe('h', 11_999);
    assert.equal(t.sweep(), 0);
    assert.equal(t.lookup('h', 5, 5_000).kind, 'gone');
    t.observe('h', 12_001);
    assert.equal(t.sweep(), 1);
    assert.equal(t.size, 0);
    assert.equal(t.lookup('h', 5, 1_500).kind, 'unknown');
  });

  void it('round-trips through JSON', () => {
    const t = table();
    t.addExec('h', 5, 1_000, { 'process.executable.path': '/a' });
    t.addExit('h', 5, 2_000);
    t.addExec('h', 7, 1_500, {});
    t.observe('h', 3_000);
    const copy = table();
    copy.restore(JSON.parse(JSON.stringify(t.toJSON())) as ReturnType<ProcessTable['toJSON']>);
    assert.deepEqual(copy.toJSON(), t.toJSON());
    assert.equal(copy.lookup('h', 5, 3_000).kind, 'gone');
  });
});
