import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { runScriptChild } from '@egressguard/core/testing';

import { boundedLines, type BoundedLine } from '../src/index.ts';

const child = fileURLToPath(new URL('support/bounded-lines-memory-child.ts', import.meta.url));

/** The lines of `bytes` delivered in chunks cut at `cuts` (byte offsets). */
async function linesOf(bytes: Buffer, maxLineBytes: number, cuts: number[] = []): Promise<BoundedLine[]> {
  const chunks: Buffer[] = [];
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    chunks.push(bytes.subarray(from, cut));
    from = cut;
  }
  const lines: BoundedLine[] = [];
  for await (const line of boundedLines(Readable.from(chunks, { objectMode: true }), maxLineBytes))
    lines.push(line);
  return lines;
}

describe('boundedLines', () => {
  it('gives the same lines however the bytes are cut into chunks, multi-byte characters included', async () => {
    const text = 'première ligne\r\n€ and 🙂\n\nlast, no newline';
    const bytes = Buffer.from(text, 'utf8');
    const expected = [
      { text: 'première ligne' },
      { text: '€ and 🙂' },
      { text: '' },
      { text: 'last, no newline' },
    ];
    for (let a = 0; a <= bytes.length; a++) {
      for (let b = a; b <= bytes.length; b += 3) {
        assert.deepEqual(await linesOf(bytes, 64, [a, b]), expected, `cut at ${a} and ${b}`);
      }
    }
  });

  it('drops a byte order mark at the start only, and the CR of CRLF', async () => {
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    const bytes = Buffer.concat([bom, Buffer.from('a\r\n'), bom, Buffer.from('b\r\n')]);
    assert.deepEqual(await linesOf(bytes, 64, [1, 2]), [{ text: 'a' }, { text: '\ufeffb' }]);
  });

  it('skips a line past the bound by its length alone, then reads on; a line of exactly the bound fits', async () => {
    const bytes = Buffer.from(`${'x'.repeat(8)}\n${'y'.repeat(9)}\n${'z'.repeat(8)}\r\n${'w'.repeat(20)}`);
    assert.deepEqual(await linesOf(bytes, 8, [3, 12, 15]), [
      { text: 'x'.repeat(8) },
      { tooLongBytes: 9 },
      { text: 'z'.repeat(8) },
      { tooLongBytes: 20 },
    ]);
  });

  it('holds no more than the bound of a line however long it is', () => {
    const { lines, peak, lineBytes } = runScriptChild<{
      lines: BoundedLine[];
      peak: number;
      lineBytes: number;
    }>(child, ['--expose-gc']);
    assert.deepEqual(lines, [{ tooLongBytes: lineBytes }, { text: 'ok' }]);
    // A splitter that kept the line's chunks would hold all 256 MiB; this one holds the bound and a chunk or two.
    assert.ok(peak < 4 * 1024 * 1024, `held ${peak} bytes of a ${lineBytes}-byte line with a 1 MiB bound`);
  });
});
