/**
 * Opens an input file for reading, decompressing it when it is gzip: recognised by its magic bytes (1f 8b), not its
 * name, so `capture.log.gz`, a rotated `audit.log.1` that logrotate compressed, or a gzip file named anything reads
 * as its text. Decompression is streamed: memory stays bounded whatever the file's size.
 */
import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

const GZIP_MAGIC = [0x1f, 0x8b] as const;

/** Whether the file starts with the gzip magic bytes. */
export function isGzipFile(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(2);
    const n = readSync(fd, head, 0, 2, 0);
    return n === 2 && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
  } finally {
    closeSync(fd);
  }
}

/** What {@link openInputFile} returns. */
export interface InputFile {
  /** The file's bytes, decompressed when it is gzip. */
  readonly stream: Readable;
  /** The stream reading the file itself: its `bytesRead` says how far into the (compressed) file reading is. */
  readonly file: Readable & { readonly bytesRead: number };
  readonly gzip: boolean;
}

/**
 * Opens `path`, decompressing gzip. A corrupt gzip stream fails the returned stream with zlib's error (the caller's
 * read loop reports it naming the file); an error of the file stream is forwarded to it the same way.
 */
export function openInputFile(path: string): InputFile {
  const gzip = isGzipFile(path);
  const file = createReadStream(path);
  if (!gzip) return { stream: file, file, gzip };
  const gunzip = createGunzip();
  // zlib's messages ("unexpected end of file") do not say which input was truncated or corrupt.
  gunzip.once('error', (error) => {
    error.message = `gzip input ${path}: ${error.message}`;
  });
  file.on('error', (error) => gunzip.destroy(error));
  gunzip.on('close', () => file.destroy());
  return { stream: file.pipe(gunzip), file, gzip };
}
