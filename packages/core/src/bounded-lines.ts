/**
 * Splits a byte stream into lines without ever holding more than a bound of one line: `node:readline` keeps a whole
 * line in memory however long it is, so one hostile line of hundreds of megabytes would be read into one string.
 * Past the bound the rest of the line is skipped up to its newline and reported by its length alone.
 */
import type { Readable } from 'node:stream';

/** One line of text (without its newline or a trailing CR), or a line longer than the bound, skipped. */
export type BoundedLine = { readonly text: string } | { readonly tooLongBytes: number };

const LF = 0x0a;
const CR = 0x0d;

/**
 * The lines of `stream` (bytes, decoded as UTF-8 with invalid sequences replaced), each at most `maxLineBytes`
 * bytes; a longer line yields `{ tooLongBytes }` instead of its text. A UTF-8 byte order mark at the start is
 * dropped. Lines end at LF; a CR before it is removed (CRLF files).
 */
export async function* boundedLines(stream: Readable, maxLineBytes: number): AsyncGenerator<BoundedLine> {
  let parts: Buffer[] = [];
  let held = 0;
  let skipped = 0;
  let first = true;

  const finish = (): BoundedLine => {
    const atStart = first;
    first = false;
    if (skipped > 0) {
      const line = { tooLongBytes: skipped };
      skipped = 0;
      return line;
    }
    let bytes = parts.length === 1 ? parts[0] : Buffer.concat(parts, held);
    parts = [];
    held = 0;
    if (bytes.length > 0 && bytes[bytes.length - 1] === CR) bytes = bytes.subarray(0, bytes.length - 1);
    if (bytes.length > maxLineBytes) return { tooLongBytes: bytes.length };
    if (atStart) {
      if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf)
        bytes = bytes.subarray(3);
    }
    return { text: bytes.toString('utf8') };
  };
  // Bytes of the current line: kept while the line fits the bound, else only counted. A CR that would end the line
  // is allowed one byte past the bound so that a CRLF line of exactly the bound still fits.
  const take = (chunk: Buffer, from: number, to: number) => {
    const n = to - from;
    if (n === 0) return;
    if (skipped > 0) {
      skipped += n;
      return;
    }
    if (held + n > maxLineBytes + 1) {
      skipped = held + n;
      parts = [];
      held = 0;
      return;
    }
    parts.push(chunk.subarray(from, to));
    held += n;
  };

  for await (const chunk of stream as AsyncIterable<Buffer | string>) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    let from = 0;
    for (let nl = buf.indexOf(LF, from); nl !== -1; nl = buf.indexOf(LF, from)) {
      take(buf, from, nl);
      from = nl + 1;
      yield finish();
    }
    take(buf, from, buf.length);
  }
  if (held > 0 || skipped > 0) yield finish();
}
