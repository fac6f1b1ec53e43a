/**
 * One live test at a time on this host. The live tests share what a host has only one of: the audit rules and the
 * audit log (one rotates it), bpftrace's view of every connection of the machine (one's implant is another's
 * background), the kernel's audit backlog. `npm test` runs test files in parallel, so each live suite takes this lock
 * in its `before` and gives it back in its `after`; a lock whose holder died is taken over.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const LOCK = join(tmpdir(), 'egressguard-live-test.lock');

function holder(lock: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(lock, 'pid'), 'utf8'));
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Waits until no other live test runs, then holds the lock; returns the function that gives it back. Fails after
 * `timeoutMs` naming the process that holds it.
 */
export async function takeHostLock(what: string, timeoutMs = 15 * 60_000, lock = LOCK): Promise<() => void> {
  const deadline = Date.now() + timeoutMs;
  let emptySince: number | undefined;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      writeFileSync(join(lock, 'what'), what);
      return () => {
        if (holder(lock) === process.pid) rmSync(lock, { recursive: true, force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const pid = holder(lock);
    if (pid !== undefined && pid !== process.pid && !alive(pid)) {
      rmSync(lock, { recursive: true, force: true });
      continue;
    }
    // A holder that died between creating the lock and writing its pid leaves it empty: give that a few seconds.
    if (pid === undefined) {
      emptySince ??= Date.now();
      if (Date.now() - emptySince > 5_000) {
        rmSync(lock, { recursive: true, force: true });
        emptySince = undefined;
        continue;
      }
    } else emptySince = undefined;
    if (Date.now() > deadline) {
      let other = '';
      try {
        other = readFileSync(join(lock, 'what'), 'utf8');
      } catch {
        // Gone meanwhile.
      }
      throw new Error(`${what}: another live test (pid ${pid ?? '?'}: ${other}) held the host for too long`);
    }
    await sleep(250);
  }
}
