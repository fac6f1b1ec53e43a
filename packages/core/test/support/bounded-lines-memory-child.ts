/**
 * Run by `test/bounded-lines.test.ts` with `--expose-gc`: splits a stream of one 256 MiB line (fresh 64 KiB chunks,
 * no newline) and then a short line with a 1 MiB bound, and prints the lines and the most array-buffer bytes held
 * (settled) at any chunk, as JSON.
 */
import { Readable } from 'node:stream';

import { boundedLines, type BoundedLine } from '@egressguard/core';
import { settledMemoryUsage } from '@egressguard/core/testing';

const CHUNK = 64 * 1024;
const CHUNKS = 4096;

const start = settledMemoryUsage().arrayBuffers;
let peak = 0;
let sent = 0;
const stream = new Readable({
  read() {
    if (sent % 256 === 0) peak = Math.max(peak, settledMemoryUsage().arrayBuffers - start);
    if (sent < CHUNKS) this.push(Buffer.alloc(CHUNK, 0x61));
    else if (sent === CHUNKS) this.push(Buffer.from('\nok\n'));
    else this.push(null);
    sent++;
  },
});
const lines: BoundedLine[] = [];
for await (const line of boundedLines(stream, 1024 * 1024)) lines.push(line);
console.log(JSON.stringify({ lines, peak, lineBytes: CHUNK * CHUNKS }));
