import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { ExecutableHasher } from '../../src/internal/executable-hasher.ts';

const sha = (data: string) => createHash('sha256').update(data).digest('hex');

void describe('ExecutableHasher', () => {
  const dir = mkdtempSync(join(tmpdir(), 'egressguard-hash-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  void it('hashes a real file, caches it, and hashes it again once it changed', async () => {
    const file = join(dir, 'kworkerd');
    writeFileSync(file, '#!/bin/sh\necho one\n');
    const hasher = new ExecutableHasher({ maxFileBytes: 1_000_000, cacheMaxEntries: 8 });
    assert.deepEqual(await hasher.hash(file), {
      kind: 'hashed',
      sha256: sha('#!/bin/sh\necho one\n'),
      cached: false,
    });
    assert.deepEqual(await hasher.hash(file), {
      kind: 'hashed',
      sha256: sha('#!/bin/sh\necho one\n'),
      cached: true,
    });
    writeFileSync(file, '#!/bin/sh\necho two, longer\n');
    assert.deepEqual(await hasher.hash(file), {
      kind: 'hashed',
      sha256: sha('#!/bin/sh\necho two, longer\n'),
      cached: false,
    });
    assert.equal(hasher.filesHashed, 2);
  });

  void it(
    'hashes the running executable through /proc/self/exe',
    { skip: process.platform !== 'linux' ? 'needs Linux' : false },
    async () => {
      const hasher = new ExecutableHasher({ maxFileBytes: 1 << 30, cacheMaxEntries: 8 });
      const viaProc = await hasher.hash('/proc/self/exe');
      const direct = await hasher.hash(process.execPath);
      assert.equal(viaProc.kind, 'hashed');
      assert.deepEqual(direct, { ...viaProc, cached: true }, 'same device and inode: one cache entry');
    },
  );

  void it('skips files above the bound and counts them; counts unreadable ones', async () => {
    const big = join(dir, 'big');
    writeFileSync(big, Buffer.alloc(2048));
    const hasher = new ExecutableHasher({ maxFileBytes: 1024, cacheMaxEntries: 8 });
    assert.deepEqual(await hasher.hash(big), { kind: 'too_large', size: 2048 });
    assert.equal(hasher.skippedTooLarge, 1);
    assert.equal((await hasher.hash(join(dir, 'missing'))).kind, 'unreadable');
    assert.equal((await hasher.hash(dir)).kind, 'unreadable');
    assert.equal(hasher.unreadable, 2);
  });

  void it('hashes an empty file', async () => {
    const empty = join(dir, 'empty');
    writeFileSync(empty, '');
    const hasher = new ExecutableHasher({ maxFileBytes: 1024, cacheMaxEntries: 8 });
    assert.deepEqual(await hasher.hash(empty), { kind: 'hashed', sha256: sha(''), cached: false });
  });
});
