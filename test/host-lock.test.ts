import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, it } from 'node:test';

import { takeHostLock } from './host-lock.ts';

describe('the live tests’ host lock', () => {
  const dir = mkdtempSync(join(tmpdir(), 'egressguard-lock-test-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('lets one holder in at a time: a second waits until the first gives it back', async () => {
    const lock = join(dir, 'one-at-a-time');
    const releaseFirst = await takeHostLock('first', 10_000, lock);
    const second: { release?: () => void } = {};
    const waiting = takeHostLock('second', 10_000, lock).then((release) => (second.release = release));
    await sleep(750);
    assert.equal(second.release, undefined, 'the second waits while the first holds the lock');
    releaseFirst();
    const releaseSecond = await waiting;
    assert.equal(second.release, releaseSecond, 'the second holds it once the first gave it back');
    releaseSecond();
    assert.equal(existsSync(lock), false, 'given back, the lock is gone');
  });

  it('takes over a lock whose holder died', async () => {
    const lock = join(dir, 'stale');
    const dead = spawnSync('true').pid;
    mkdirSync(lock);
    writeFileSync(join(lock, 'pid'), String(dead));
    const release = await takeHostLock('after a crash', 5_000, lock);
    release();
  });

  it('gives up after its timeout, naming what holds the host', async () => {
    const lock = join(dir, 'held');
    const release = await takeHostLock('the long test', 5_000, lock);
    try {
      await assert.rejects(takeHostLock('the impatient test', 600, lock), /the long test/);
    } finally {
      release();
    }
  });
});
