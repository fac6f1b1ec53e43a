/**
 * Reads a request body, inflating gzip on the way, and stops as soon as the inflated size passes the limit: the
 * limit bounds what is held, whatever the compression ratio (a gzip bomb inflates chunk by chunk and is cut off at
 * the first chunk over the limit, never held whole).
 */
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { createGunzip, createInflate } from 'node:zlib';

/** The body inflated past the limit. */
export class BodyTooLargeError extends Error {
  constructor(limit: number) {
    super(`request body is larger than ${limit} bytes after decompression`);
    this.name = 'BodyTooLargeError';
  }
}

/** The compressed body could not be inflated. */
export class BodyEncodingError extends Error {
  constructor(message: string, cause: unknown) {
    super(message, { cause });
    this.name = 'BodyEncodingError';
  }
}

/** The client went away before the body was complete. */
export class BodyAbortedError extends Error {
  constructor() {
    super('request aborted before the body was complete');
    this.name = 'BodyAbortedError';
  }
}

/** Content encodings the receiver inflates. */
export type BodyEncoding = 'identity' | 'gzip' | 'deflate';

/** The body's encoding from its Content-Encoding header, or undefined when it is not one we read. */
export function bodyEncoding(header: string | undefined): BodyEncoding | undefined {
  const value = (header ?? '').trim().toLowerCase();
  if (value === '' || value === 'identity') return 'identity';
  if (value === 'gzip' || value === 'x-gzip') return 'gzip';
  if (value === 'deflate') return 'deflate';
  return undefined;
}

/**
 * Collects the body of `req` (inflated per `encoding`) up to `limit` bytes. On any failure the request is left
 * draining (its remaining bytes are read and discarded) so that the response can still reach the client.
 */
export function readBody(req: IncomingMessage, encoding: BodyEncoding, limit: number): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const inflater =
      encoding === 'gzip' ? createGunzip() : encoding === 'deflate' ? createInflate() : undefined;
    const source: Readable = inflater ?? req;

    const fail = (error: Error): void => {
      if (settled) return;
      settled = true;
      chunks.length = 0;
      source.removeListener('data', onData);
      if (inflater) {
        req.unpipe(inflater);
        inflater.destroy();
      }
      // Keep reading (and discarding) what the client still sends, so it can read our answer.
      req.resume();
      reject(error);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        fail(new BodyTooLargeError(limit));
        return;
      }
      chunks.push(chunk);
    };
    source.on('data', onData);
    source.once('end', () => {
      if (settled) return;
      settled = true;
      resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
    });
    req.once('aborted', () => fail(new BodyAbortedError()));
    req.on('error', () => fail(new BodyAbortedError()));
    if (inflater) {
      inflater.on('error', (error) =>
        fail(new BodyEncodingError(`request body is not valid ${encoding}: ${error.message}`, error)),
      );
      req.pipe(inflater);
    }
  });
}
