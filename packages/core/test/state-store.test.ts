import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { FileStateStore } from '@egressguard/core';

describe('FileStateStore', () => {
  const dir = mkdtempSync(join(tmpdir(), 'egressguard-state-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('returns undefined before the first save, then what was saved, leaving no temporary file', () => {
    const store = new FileStateStore<{ version: number; n: number }>(join(dir, 'nested', 'state.json'));
    assert.equal(store.load(), undefined);
    store.save({ version: 1, n: 1 });
    store.save({ version: 1, n: 2 });
    assert.deepEqual(store.load(), { version: 1, n: 2 });
    assert.deepEqual(readdirSync(join(dir, 'nested')), ['state.json']);
  });

  it('names the file when it is not JSON', () => {
    const path = join(dir, 'broken.json');
    writeFileSync(path, '{"version": 1, ');
    assert.throws(
      () => new FileStateStore(path).load(),
      new RegExp(`state file ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not valid JSON`),
    );
  });
});
