/**
 * Durable snapshots on local disk. A write goes to a temporary file in the same directory, is fsynced, then
 * renamed over the old snapshot and the directory fsynced: a crash leaves either the old or the new snapshot,
 * never a torn one.
 */
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';

/** Reads and writes one JSON snapshot file atomically. */
export class FileStateStore<T = unknown> {
  readonly path: string;

  constructor(path: string) {
    this.path = path;
  }

  /** The stored snapshot, or `undefined` when there is none yet. Throws on a file that is not valid JSON. */
  load(): T | undefined {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    try {
      return JSON.parse(text) as T;
    } catch (cause) {
      throw new Error(`egressguard: state file ${this.path} is not valid JSON`, { cause });
    }
  }

  /** Replaces the stored snapshot atomically. */
  save(value: T): void {
    const dir = dirname(this.path);
    mkdirSync(dir, { recursive: true });
    const tmp = `${this.path}.${process.pid}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, JSON.stringify(value));
      fsyncSync(fd);
    } catch (error) {
      closeSync(fd);
      rmSync(tmp, { force: true });
      throw error;
    }
    closeSync(fd);
    renameSync(tmp, this.path);
    try {
      const dfd = openSync(dir, 'r');
      try {
        fsyncSync(dfd);
      } finally {
        closeSync(dfd);
      }
    } catch {
      // Some filesystems refuse fsync on a directory; the rename itself is still atomic.
    }
  }
}
