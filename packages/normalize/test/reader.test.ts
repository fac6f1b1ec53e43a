import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';

import { readSensorFile } from '../src/reader.ts';
import { FIXTURES, readAll } from './read-all.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'egressguard-normalize-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('readSensorFile', () => {
  it('recognises the format and summarises per source format with malformed line numbers', async () => {
    const { summary } = await readAll(path.join(FIXTURES, 'auditd-events.log'), 'auto');
    assert.equal(summary.format, 'auditd');
    assert.equal(summary.lines, 32);
    assert.deepEqual(summary.recordsBySourceFormat, { auditd: 8 });
    assert.equal(summary.malformed, 1);
    assert.deepEqual(summary.malformedByFormat, { auditd: 1 });
    assert.equal(summary.malformedLines[0].line, 23);
  });

  it('streams in batches and frames pretty-printed JSON objects across lines', async () => {
    const event = (i: number) =>
      JSON.stringify(
        {
          process_exec: { process: { pid: i, binary: '/bin/true', exec_id: `e${i}` } },
          node_name: 'n',
          time: '2025-11-30T00:00:00Z',
        },
        null,
        2,
      );
    const file = path.join(dir, 'pretty.json');
    // 50 objects over several lines each, ten of them joined `}{`, and a truncated one after the first 20.
    const parts = Array.from({ length: 50 }, (_, i) => event(i));
    const text = `${parts.slice(0, 20).join('\n')}\n{"process_exec": {\n${parts.slice(20, 30).join('')}\n${parts.slice(30).join('\n')}\n`;
    writeFileSync(file, text);
    const reader = readSensorFile(file, 'auto', { host: 'h', batchLines: 100 });
    const sizes: number[] = [];
    let pids: number[] = [];
    const errors: number[] = [];
    for await (const batch of reader) {
      sizes.push(batch.records.length);
      pids = pids.concat(batch.records.map((r) => r.attributes['process.pid'] as number));
      errors.push(...batch.errors.map((e) => e.line));
    }
    assert.ok(sizes.length > 2, `expected several batches, got ${sizes.join(',')}`);
    assert.deepEqual(
      pids,
      Array.from({ length: 50 }, (_, i) => i),
    );
    assert.deepEqual(
      errors,
      [20 * event(0).split('\n').length + 1],
      'the truncated object is reported on the line it started',
    );
    assert.equal(reader.summary.format, 'tetragon');
  });

  it('reports input no format recognises, and rejects unknown format names', async () => {
    const file = path.join(dir, 'junk.txt');
    writeFileSync(file, 'hello\nworld\n');
    const { errors } = await readAll(file, 'auto');
    assert.deepEqual(errors, [
      { line: 1, reason: 'no sensor format recognises this input' },
      { line: 2, reason: 'no sensor format recognises this input' },
    ]);
    assert.throws(() => readSensorFile(file, 'nope'), /unknown sensor format "nope"/);
  });
});
