/** The rotation-aware tail against real files: renamed away, truncated, resumed from a saved position. */
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { LogTail } from '../../src/host-receivers/log-tail.ts';

describe('LogTail', () => {
  const dir = mkdtempSync(join(tmpdir(), 'egressguard-tail-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  const fresh = () => join(dir, `log-${++n}`);
  const tail = (path: string, long: number[] = []) =>
    new LogTail({ path, maxLineBytes: 64, onLongLine: (bytes) => long.push(bytes) });

  it('starts at the end or the beginning, and returns complete lines only', () => {
    const path = fresh();
    writeFileSync(path, 'old 1\nold 2\n');
    const atEnd = tail(path);
    assert.match(atEnd.open(undefined, 'end'), /from its end \(byte 12\)/);
    appendFileSync(path, 'new 1\nnew');
    assert.deepEqual(atEnd.read(), ['new 1']);
    assert.deepEqual(atEnd.position(), { inode: atEnd.position()!.inode, offset: 18 });
    appendFileSync(path, ' 2\n');
    assert.deepEqual(atEnd.read(), ['new 2']);
    atEnd.close();
    const atStart = tail(path);
    atStart.open(undefined, 'beginning');
    assert.deepEqual(atStart.read(), ['old 1', 'old 2', 'new 1', 'new 2']);
    atStart.close();
  });

  it('reads the end of a rotated file before the new one', () => {
    const path = fresh();
    writeFileSync(path, 'a\n');
    const t = tail(path);
    t.open(undefined, 'beginning');
    assert.deepEqual(t.read(), ['a']);
    appendFileSync(path, 'b\nc-without-newline');
    renameSync(path, `${path}.1`);
    writeFileSync(path, 'd\n');
    assert.deepEqual(t.read(), ['b', 'c-without-newline', 'd']);
    t.close();
  });

  it('reads every file in between when the log was rotated twice between two reads', () => {
    const path = fresh();
    writeFileSync(path, 'a\n');
    const t = tail(path);
    t.open(undefined, 'beginning');
    assert.deepEqual(t.read(), ['a']);
    appendFileSync(path, 'b\n');
    renameSync(path, `${path}.1`);
    writeFileSync(path, 'c\n');
    renameSync(`${path}.1`, `${path}.2`);
    renameSync(path, `${path}.1`);
    writeFileSync(path, 'd\n');
    assert.deepEqual(t.read(), ['b', 'c', 'd']);
    t.close();
  });

  it('resumes at a saved position, in the rotated file when the log was rotated meanwhile', () => {
    const path = fresh();
    writeFileSync(path, 'a\nb\n');
    const first = tail(path);
    first.open(undefined, 'beginning');
    assert.deepEqual(first.read(), ['a', 'b']);
    const saved = first.position()!;
    first.close();
    appendFileSync(path, 'c\n');
    renameSync(path, `${path}.1`);
    writeFileSync(path, 'd\n');
    const second = tail(path);
    assert.match(second.open(saved, 'end'), /resumed .*\.1 \(rotated since\) at byte 4/);
    assert.deepEqual(second.read(), ['c', 'd']);
    second.close();
  });

  it('says so when the saved position’s file is gone, and starts as configured', () => {
    const path = fresh();
    writeFileSync(path, 'x\n');
    const t = tail(path);
    assert.match(t.open({ inode: 1, offset: 5 }, 'beginning'), /lines in between are lost/);
    assert.equal(t.lostRotations, 1);
    assert.deepEqual(t.read(), ['x']);
    t.close();
  });

  it('starts again at the beginning of a file truncated in place', () => {
    const path = fresh();
    writeFileSync(path, 'one\ntwo\n');
    const t = tail(path);
    t.open(undefined, 'beginning');
    assert.deepEqual(t.read(), ['one', 'two']);
    truncateSync(path, 0);
    appendFileSync(path, 'three\n');
    assert.deepEqual(t.read(), ['three']);
    assert.equal(t.lostRotations, 1);
    t.close();
  });

  it('skips a line past max_line_bytes without holding it, and reports it', () => {
    const path = fresh();
    const long: number[] = [];
    const t = tail(path, long);
    writeFileSync(path, '');
    t.open(undefined, 'beginning');
    appendFileSync(path, `${'x'.repeat(50)}`);
    assert.deepEqual(t.read(), []);
    appendFileSync(path, `${'x'.repeat(50)}`);
    assert.deepEqual(t.read(), []);
    appendFileSync(path, `${'x'.repeat(50)}\nafter\n`);
    assert.deepEqual(t.read(), ['after']);
    assert.equal(long.length, 1);
    assert.ok(long[0] > 64);
    t.close();
  });

  it('waits for a file that does not exist yet', () => {
    const path = fresh();
    const t = tail(path);
    assert.match(t.open(undefined, 'end'), /does not exist yet/);
    assert.deepEqual(t.read(), []);
    writeFileSync(path, 'first\n');
    assert.deepEqual(t.read(), ['first']);
    t.close();
  });
});
