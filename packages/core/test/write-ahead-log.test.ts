import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { WriteAheadLog } from '../src/write-ahead-log.ts';

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (payload: Uint8Array) => new TextDecoder().decode(payload);

async function all(log: WriteAheadLog, from: number): Promise<[number, string][]> {
  const out: [number, string][] = [];
  for await (const e of log.entries(from)) out.push([e.offset, text(e.payload)]);
  return out;
}

describe('WriteAheadLog', () => {
  let scratch: string;
  before(() => {
    scratch = mkdtempSync(join(tmpdir(), 'egressguard-wal-'));
  });
  after(() => rmSync(scratch, { recursive: true, force: true }));

  it('numbers entries in order, makes them durable, and reads them back after a reopen', async () => {
    const directory = join(scratch, 'basic');
    const log = await WriteAheadLog.open({ directory });
    const a = log.tryAppend(bytes('one'))!;
    const b = log.tryAppend(bytes('two'))!;
    assert.deepEqual([a.offset, b.offset], [0, 1]);
    await Promise.all([a.durable, b.durable]);
    await log.close();
    const again = await WriteAheadLog.open({ directory });
    assert.equal(again.nextOffset, 2);
    assert.deepEqual(await all(again, 0), [
      [0, 'one'],
      [1, 'two'],
    ]);
    assert.deepEqual(await all(again, 1), [[1, 'two']]);
    await again.close();
  });

  it('group commit: concurrent appends share disk flushes', async () => {
    const log = await WriteAheadLog.open({ directory: join(scratch, 'group') });
    const appends = Array.from({ length: 200 }, (_, i) => log.tryAppend(bytes(`entry ${i}`))!);
    await Promise.all(appends.map((a) => a.durable));
    const c = log.counters();
    assert.equal(c.appended, 200);
    assert.ok(c.syncs < 200 / 2, `200 concurrent appends took ${c.syncs} flushes`);
    await log.close();
  });

  it('refuses and counts an entry that does not fit in maxBytes, and takes entries again once truncated', async () => {
    const directory = join(scratch, 'bound');
    const payload = new Uint8Array(84); // 100 bytes with the frame header
    const log = await WriteAheadLog.open({ directory, maxBytes: 1000, segmentBytes: 300 });
    // One at a time: a group commit writes all waiting entries into one segment, so segments roll between writes.
    for (let i = 0; i < 10; i++) await log.tryAppend(payload)!.durable;
    assert.equal(log.tryAppend(payload), undefined, 'the eleventh entry does not fit');
    assert.equal(log.counters().full, 1);
    assert.equal(log.freeBytes(), 0);
    // Segments roll at 300 bytes: [0..2] [3..5] [6..8] [9]; a checkpoint at 7 covers the first two.
    assert.deepEqual(readdirSync(directory).sort(), [
      '00000000000000000000.wal',
      '00000000000000000003.wal',
      '00000000000000000006.wal',
      '00000000000000000009.wal',
    ]);
    assert.equal(await log.truncate(7), 2);
    assert.equal(log.counters().truncatedSegments, 2);
    assert.deepEqual(
      (await all(log, 0)).map(([o]) => o),
      [6, 7, 8, 9],
      'entries of a segment partly after the offset are kept',
    );
    const more = log.tryAppend(payload);
    assert.ok(more, 'room again after truncation');
    await more.durable;
    await log.close();
  });

  it('cuts off a torn last frame (a crash mid-write) and goes on from the last whole entry', async () => {
    const directory = join(scratch, 'torn');
    const log = await WriteAheadLog.open({ directory });
    await log.tryAppend(bytes('kept'))!.durable;
    await log.close();
    const segment = join(directory, '00000000000000000000.wal');
    appendFileSync(segment, Buffer.from([20, 0, 0, 0, 1, 2, 3]));
    const again = await WriteAheadLog.open({ directory });
    assert.equal(again.counters().tornBytes, 7);
    assert.equal(again.nextOffset, 1);
    await again.tryAppend(bytes('after'))!.durable;
    await again.close();
    const third = await WriteAheadLog.open({ directory });
    assert.deepEqual(await all(third, 0), [
      [0, 'kept'],
      [1, 'after'],
    ]);
    await third.close();
  });

  it('refuses to open over a corrupt segment that is not the last, naming it', async () => {
    const directory = join(scratch, 'corrupt');
    const log = await WriteAheadLog.open({ directory, maxBytes: 1000, segmentBytes: 50 });
    for (let i = 0; i < 3; i++) await log.tryAppend(new Uint8Array(40))!.durable;
    await log.close();
    const first = join(directory, '00000000000000000000.wal');
    writeFileSync(first, Buffer.alloc(56, 7));
    await assert.rejects(
      WriteAheadLog.open({ directory, maxBytes: 1000, segmentBytes: 50 }),
      new RegExp(`segment ${first} is corrupt at byte 0`),
    );
  });

  it('numbers on from a checkpoint offset when every entry kept is covered', async () => {
    const directory = join(scratch, 'covered');
    const log = await WriteAheadLog.open({ directory });
    await log.tryAppend(bytes('old'))!.durable;
    await log.close();
    const again = await WriteAheadLog.open({ directory, minNextOffset: 5 });
    assert.equal(again.nextOffset, 5);
    assert.equal(again.tryAppend(bytes('new'))!.offset, 5);
    await again.close();
    const third = await WriteAheadLog.open({ directory });
    assert.deepEqual(await all(third, 0), [[5, 'new']]);
    await third.close();
  });

  it('names a bad option', async () => {
    await assert.rejects(
      WriteAheadLog.open({ directory: join(scratch, 'x'), maxBytes: 0 }),
      /maxBytes must be a positive integer/,
    );
    await assert.rejects(
      WriteAheadLog.open({ directory: join(scratch, 'x'), maxBytes: 10, segmentBytes: 20 }),
      /segmentBytes \(20\) must not exceed maxBytes \(10\)/,
    );
  });
});
