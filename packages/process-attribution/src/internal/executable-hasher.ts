/**
 * SHA-256 of executables, streamed with node:crypto and cached by (device, inode, size, modification time): the
 * same file is hashed once however many processes run it, and a file replaced in place gets a new hash.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';

import { entryBound } from '@egressguard/core';
import { LRUCache } from 'lru-cache';

/** The outcome of hashing one file. */
export type HashResult =
  | { readonly kind: 'hashed'; readonly sha256: string; readonly cached: boolean }
  /** Larger than the configured bound: not read. */
  | { readonly kind: 'too_large'; readonly size: number }
  /** Missing, not a regular file, or not readable. */
  | { readonly kind: 'unreadable'; readonly error: string };

/** Options of {@link ExecutableHasher}. */
export interface ExecutableHasherOptions {
  /** Files above this size are skipped. */
  readonly maxFileBytes: number;
  /** Hashes cached. */
  readonly cacheMaxEntries: number;
}

/** Hashes files with a bounded cache. */
export class ExecutableHasher {
  private readonly maxFileBytes: number;
  private readonly cache: LRUCache<string, string>;
  /** Files actually read. */
  filesHashed = 0;
  /** Files skipped for their size. */
  skippedTooLarge = 0;
  /** Files that could not be read. */
  unreadable = 0;

  constructor(options: ExecutableHasherOptions) {
    this.maxFileBytes = options.maxFileBytes;
    this.cache = new LRUCache(entryBound(options.cacheMaxEntries));
  }

  /** Cached hashes. */
  get cacheSize(): number {
    return this.cache.size;
  }

  /**
   * Hashes the file at `path` (symbolic links followed, so `/proc/<pid>/exe` hashes the running executable even
   * when it was deleted or lives in another mount namespace).
   */
  async hash(path: string): Promise<HashResult> {
    let info;
    try {
      info = await stat(path, { bigint: true });
    } catch (error) {
      return this.failed(error);
    }
    if (!info.isFile()) return this.failed(new Error(`${path} is not a regular file`));
    if (info.size > BigInt(this.maxFileBytes)) {
      this.skippedTooLarge += 1;
      return { kind: 'too_large', size: Number(info.size) };
    }
    const key = `${info.dev}:${info.ino}:${info.size}:${info.mtimeNs}`;
    const cached = this.cache.get(key);
    if (cached !== undefined) return { kind: 'hashed', sha256: cached, cached: true };
    try {
      const hash = createHash('sha256');
      if (info.size === 0n) return this.store(key, hash.digest('hex'));
      // Read no more than the size that was checked: a file growing under us must not defeat the bound.
      for await (const chunk of createReadStream(path, { end: Math.max(0, Number(info.size) - 1) })) {
        hash.update(chunk as Buffer);
      }
      return this.store(key, hash.digest('hex'));
    } catch (error) {
      return this.failed(error);
    }
  }

  private store(key: string, sha256: string): HashResult {
    this.filesHashed += 1;
    this.cache.set(key, sha256);
    return { kind: 'hashed', sha256, cached: false };
  }

  private failed(error: unknown): HashResult {
    this.unreadable += 1;
    return { kind: 'unreadable', error: error instanceof Error ? error.message : String(error) };
  }
}
