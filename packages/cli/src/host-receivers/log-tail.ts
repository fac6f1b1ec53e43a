/**
 * Follows a log file that a daemon rotates by renaming (auditd: `audit.log` → `audit.log.1`, a new `audit.log`),
 * reading complete lines only. The position (the file's inode and the byte offset after the last complete line
 * read) can be saved and given back to start where a previous run stopped: when the file was rotated in between,
 * the rest of the old file (found by its inode among `<path>.1` … `<path>.<n>`) is read first.
 */
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';

/** Where a tail stands: the file (by inode) and the offset after the last complete line read. */
export interface TailPosition {
  readonly inode: number;
  readonly offset: number;
}

/** Options of {@link LogTail}. */
export interface LogTailOptions {
  readonly path: string;
  /** Lines longer than this are skipped whole and reported through `onLongLine`. */
  readonly maxLineBytes: number;
  /** How many rotated files (`<path>.1` …) to look through for a saved inode. Default: 9. */
  readonly rotatedFiles?: number;
  readonly onLongLine: (bytes: number) => void;
}

const CHUNK = 256 * 1024;

interface OpenFile {
  fd: number;
  inode: number;
  offset: number;
}

/** A rotation-aware tail. */
export class LogTail {
  private readonly options: LogTailOptions;
  private file: OpenFile | undefined;
  /** Bytes read after the last newline, with the offset where they start. */
  private partial = Buffer.alloc(0);
  private skipping = false;
  /** Lines lost because the file was truncated or replaced before they were read (counted by the receiver). */
  lostRotations = 0;

  constructor(options: LogTailOptions) {
    this.options = options;
  }

  /**
   * Opens the file at a saved position, or (none saved, or its file is gone) at the start or the end. Returns how it
   * started, for the log. A missing file is not an error: the tail opens it once it appears.
   */
  open(saved: TailPosition | undefined, fresh: 'beginning' | 'end'): string {
    const { path } = this.options;
    if (saved) {
      const current = statOrUndefined(path);
      if (current && current.ino === saved.inode && current.size >= saved.offset) {
        this.file = { fd: openSync(path, 'r'), inode: saved.inode, offset: saved.offset };
        return `resumed ${path} at byte ${saved.offset}`;
      }
      const k = this.rotatedIndex(saved.inode);
      const rotated = `${path}.${k}`;
      if (k !== undefined && statOrUndefined(rotated)!.size >= saved.offset) {
        this.file = { fd: openSync(rotated, 'r'), inode: saved.inode, offset: saved.offset };
        return `resumed ${rotated} (rotated since) at byte ${saved.offset}, then the newer files up to ${path}`;
      }
      this.lostRotations++;
    }
    const st = statOrUndefined(path);
    if (!st) return `${path} does not exist yet; waiting for it`;
    const offset = fresh === 'end' ? st.size : 0;
    this.file = { fd: openSync(path, 'r'), inode: st.ino, offset };
    const lost = saved ? ' (the saved position’s file is gone: lines in between are lost)' : '';
    return `reading ${path} from its ${fresh} (byte ${offset})${lost}`;
  }

  /** The position after the last complete line returned. */
  position(): TailPosition | undefined {
    return this.file ? { inode: this.file.inode, offset: this.file.offset - this.partial.length } : undefined;
  }

  /** Reads the complete lines added since the last call, following a rotation. */
  read(): string[] {
    const lines: string[] = [];
    if (!this.file) {
      const st = statOrUndefined(this.options.path);
      if (!st) return lines;
      this.file = { fd: openSync(this.options.path, 'r'), inode: st.ino, offset: 0 };
    }
    this.drain(lines);
    const current = statOrUndefined(this.options.path);
    if (current && current.ino !== this.file.inode) {
      // Rotated: the old file is complete (the daemon writes to the new one); read its end, then switch.
      this.drain(lines);
      if (this.partial.length > 0) this.emitPartial(lines);
      closeSync(this.file.fd);
      // Rotated more than once since the last read: the files between the old one (now `<path>.k`) and the new one
      // are read whole, oldest first.
      const k = this.rotatedIndex(this.file.inode);
      for (let i = (k ?? 1) - 1; i >= 1; i--) {
        const between = statOrUndefined(`${this.options.path}.${i}`);
        if (!between) continue;
        this.file = { fd: openSync(`${this.options.path}.${i}`, 'r'), inode: between.ino, offset: 0 };
        this.drain(lines);
        if (this.partial.length > 0) this.emitPartial(lines);
        closeSync(this.file.fd);
      }
      this.file = { fd: openSync(this.options.path, 'r'), inode: current.ino, offset: 0 };
      this.drain(lines);
    } else if (current && current.size < this.file.offset) {
      // Truncated in place (copytruncate): start again at its beginning.
      this.lostRotations++;
      this.partial = Buffer.alloc(0);
      this.file.offset = 0;
      this.drain(lines);
    }
    return lines;
  }

  /** Which `<path>.<i>` holds the file with this inode, if any. */
  private rotatedIndex(inode: number): number | undefined {
    for (let i = 1; i <= (this.options.rotatedFiles ?? 9); i++) {
      if (statOrUndefined(`${this.options.path}.${i}`)?.ino === inode) return i;
    }
    return undefined;
  }

  /** Closes the file. */
  close(): void {
    if (this.file) closeSync(this.file.fd);
    this.file = undefined;
  }

  private drain(lines: string[]): void {
    const file = this.file!;
    const size = fstatSync(file.fd).size;
    const buf = Buffer.alloc(CHUNK);
    while (file.offset < size) {
      const n = readSync(file.fd, buf, 0, Math.min(CHUNK, size - file.offset), file.offset);
      if (n <= 0) break;
      file.offset += n;
      this.split(buf.subarray(0, n), lines);
    }
  }

  private split(chunk: Buffer, lines: string[]): void {
    let start = 0;
    for (let i = chunk.indexOf(10, start); i !== -1; i = chunk.indexOf(10, start)) {
      const piece = chunk.subarray(start, i);
      start = i + 1;
      if (this.skipping) {
        this.skipping = false;
        this.partial = Buffer.alloc(0);
        continue;
      }
      const line = this.partial.length > 0 ? Buffer.concat([this.partial, piece]) : piece;
      this.partial = Buffer.alloc(0);
      if (line.length > this.options.maxLineBytes) this.options.onLongLine(line.length);
      else lines.push(line.toString('utf8'));
    }
    const rest = chunk.subarray(start);
    if (rest.length === 0) return;
    if (this.skipping) return;
    if (this.partial.length + rest.length > this.options.maxLineBytes) {
      // Bounded: a line past the limit is not kept in memory while it grows; the rest of it is skipped.
      this.options.onLongLine(this.partial.length + rest.length);
      this.partial = Buffer.alloc(0);
      this.skipping = true;
      return;
    }
    this.partial = Buffer.concat([this.partial, rest]);
  }

  /** A last line without its newline in a file that was rotated away: it will never be completed. */
  private emitPartial(lines: string[]): void {
    lines.push(this.partial.toString('utf8'));
    this.partial = Buffer.alloc(0);
  }
}

function statOrUndefined(path: string): { ino: number; size: number } | undefined {
  try {
    const st = statSync(path);
    return { ino: st.ino, size: st.size };
  } catch {
    return undefined;
  }
}
