/**
 * `replay` reads gzip-compressed inputs, recognised by their magic bytes whatever their name, sensor formats and
 * OTLP JSON lines alike, streamed; a truncated one fails naming the file. OTLP JSON lines are bounded as they
 * decompress (`maxLineBytes`).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';

import { DetectionAttr } from '@egressguard/schema';

import { REPO_ROOT } from '../support/cli.ts';
import { replayWithDefaults } from '../support/replay.ts';

const FLOOD = join(REPO_ROOT, 'test', 'scenarios', 'flood');
const scratch = mkdtempSync(join(tmpdir(), 'replay-gzip-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function gzipCopy(source: string, name: string): string {
  const path = join(scratch, name);
  writeFileSync(path, gzipSync(readFileSync(source)));
  return path;
}

describe('replay of gzip-compressed inputs', () => {
  it('reads compressed sensor files as their text, by magic bytes, not by name', async () => {
    const plain = await replayWithDefaults([join(FLOOD, 'auditd-exec.log'), join(FLOOD, 'tcplife.csv')]);
    const packed = await replayWithDefaults([
      gzipCopy(join(FLOOD, 'auditd-exec.log'), 'auditd-exec.log.gz'),
      // No .gz in the name: the magic bytes decide.
      gzipCopy(join(FLOOD, 'tcplife.csv'), 'tcplife.bin'),
    ]);
    assert.ok(plain.result.recordsIn > 400);
    assert.equal(packed.result.recordsIn, plain.result.recordsIn);
    assert.equal(packed.result.detectionCount, plain.result.detectionCount);
    assert.deepEqual(
      packed.result.detections.map((d) => d.attributes[DetectionAttr.ID]),
      plain.result.detections.map((d) => d.attributes[DetectionAttr.ID]),
    );
  });

  it('reads compressed OTLP JSON lines', async () => {
    const first = await replayWithDefaults([join(FLOOD, 'auditd-exec.log'), join(FLOOD, 'tcplife.csv')]);
    const otlp = join(scratch, 'out.jsonl');
    writeFileSync(otlp, first.text);
    const plain = await replayWithDefaults([otlp], 'otlp-json');
    const packed = await replayWithDefaults([gzipCopy(otlp, 'out.jsonl.gz')], 'otlp-json');
    assert.ok(plain.result.recordsIn > 0);
    assert.equal(packed.result.recordsIn, plain.result.recordsIn);
    assert.equal(packed.result.recordsOut, plain.result.recordsOut);
  });

  it('bounds OTLP JSON lines as they decompress: a line past maxLineBytes is skipped, the others read', async () => {
    const first = await replayWithDefaults([join(FLOOD, 'auditd-exec.log'), join(FLOOD, 'tcplife.csv')]);
    const lines = first.text.split('\n').filter((l) => l.length > 0);
    const longest = Math.max(...lines.map((l) => Buffer.byteLength(l)));
    const shorter = lines.filter((l) => Buffer.byteLength(l) < longest);
    assert.ok(shorter.length > 0 && shorter.length < lines.length);
    const otlp = join(scratch, 'bounded.jsonl');
    writeFileSync(otlp, `${lines.join('\n')}\n`);
    const packed = gzipCopy(otlp, 'bounded.jsonl.gz');
    const bounded = await replayWithDefaults([packed], 'otlp-json', longest - 1);
    const skipped = lines.length - shorter.length;
    assert.deepEqual(bounded.result.rejected, { line_too_long: skipped });
    assert.match(
      bounded.result.problems[0].detail,
      new RegExp(`line of ${longest} bytes is longer than ${longest - 1}`),
    );
    const whole = await replayWithDefaults([packed], 'otlp-json', longest);
    assert.deepEqual(whole.result.rejected, {}, 'a line of exactly the bound is read');
    assert.ok(bounded.result.recordsIn < whole.result.recordsIn);
  });

  it('refuses a maxLineBytes that is not a positive integer, naming it', async () => {
    for (const bad of [0, -1, 1.5, Number.NaN])
      await assert.rejects(
        replayWithDefaults([join(FLOOD, 'tcplife.csv')], 'auto', bad),
        /maxLineBytes must be a positive integer/,
      );
  });

  it('fails on a truncated file, naming it', async () => {
    const whole = gzipSync(readFileSync(join(FLOOD, 'tcplife.csv')));
    const truncated = join(scratch, 'truncated.csv.gz');
    writeFileSync(truncated, whole.subarray(0, Math.floor(whole.length / 2)));
    await assert.rejects(replayWithDefaults([truncated]), (error: Error) => {
      assert.match(error.message, /gzip input .*truncated\.csv\.gz: unexpected end of file/);
      return true;
    });
  });
});
