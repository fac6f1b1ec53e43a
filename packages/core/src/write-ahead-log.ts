/**
 * A write-ahead log on local disk: opaque entries, numbered in the order they were appended, each durable
 * (written and `fdatasync`ed) before its append resolves.
 *
 * Group commit: appends that arrive while a write is in progress wait for the next one, and every write takes all
 * of them at once: one `write` and one `fdatasync` for as many entries as arrived meanwhile, so concurrent requests
 * share the cost of a disk flush instead of queueing one flush each.
 *
 * On disk: a directory of segment files named after the offset of their first entry (20 digits, `.wal`). Each
 * entry is a frame: payload length (u32, little endian), CRC-32 of the offset and payload (u32), offset (u64),
 * payload. A new segment starts once the current one reaches `segmentBytes`, and its directory entry is made
 * durable before any entry is written to it. {@link WriteAheadLog.truncate} deletes the segments whose every entry
 * lies before a given offset (a checkpoint covers them).
 *
 * Bounds: the bytes of all segments kept plus the entries waiting to be written never exceed `maxBytes`;
 * {@link WriteAheadLog.tryAppend} refuses (and counts) an entry that does not fit, so a caller can say "full, retry
 * later" instead of accepting what it cannot keep.
 *
 * Recovery: {@link WriteAheadLog.open} reads every segment and checks each frame. A torn frame at the end of the
 * last segment (a crash in the middle of a write, never acknowledged) is cut off and counted; a bad frame anywhere
 * else is corruption of acknowledged data and stops the open, naming the file and the byte position.
 */
import { crc32 } from 'node:zlib';
import {
  mkdir,
  open,
  readdir,
  readFile,
  rm,
  truncate as truncateFile,
  type FileHandle,
} from 'node:fs/promises';
import { join } from 'node:path';

/** Options of {@link WriteAheadLog.open}. */
export interface WriteAheadLogOptions {
  /** Directory of the segment files; created when missing. */
  readonly directory: string;
  /** Bytes kept on disk plus bytes waiting to be written, at most. Default 256 MiB. */
  readonly maxBytes?: number;
  /** Size at which a new segment starts. Default 16 MiB. */
  readonly segmentBytes?: number;
  /**
   * The offset the next entry gets when the log holds none at or after it: a checkpoint's offset, so that numbering
   * goes on after every segment it covered was deleted. Default 0.
   */
  readonly minNextOffset?: number;
}

/** One entry of the log. */
export interface LogEntry {
  readonly offset: number;
  readonly payload: Uint8Array;
}

/** An accepted append: its offset, and a promise that resolves once it is durable (rejects if it cannot be). */
export interface PendingAppend {
  readonly offset: number;
  readonly durable: Promise<void>;
}

/** Counters of a {@link WriteAheadLog}. */
export interface WriteAheadLogCounters {
  /** Entries appended and made durable since open. */
  readonly appended: number;
  /** Appends refused because the log was full (`maxBytes`). */
  readonly full: number;
  /** Disk flushes (`fdatasync`): with group commit, fewer than appends under concurrency. */
  readonly syncs: number;
  /** Segments deleted by {@link WriteAheadLog.truncate}. */
  readonly truncatedSegments: number;
  /** Bytes of a torn last frame cut off at open. */
  readonly tornBytes: number;
  /** Segment files kept. */
  readonly segments: number;
  /** Bytes kept on disk plus bytes waiting to be written. */
  readonly bytes: number;
  /** The offset the next entry gets. */
  readonly nextOffset: number;
}

const HEADER_BYTES = 16;
const SEGMENT_SUFFIX = '.wal';
const DEFAULT_MAX_BYTES = 256 * 1024 * 1024;
const DEFAULT_SEGMENT_BYTES = 16 * 1024 * 1024;

interface Segment {
  readonly firstOffset: number;
  readonly path: string;
  bytes: number;
}

interface Waiting {
  readonly frame: Buffer;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/** A segmented, bounded write-ahead log with group commit; see the module comment. */
export class WriteAheadLog {
  readonly directory: string;
  readonly maxBytes: number;
  readonly segmentBytes: number;
  private readonly segments: Segment[];
  private handle: FileHandle | undefined;
  private next: number;
  private bytes: number;
  private waiting: Waiting[] = [];
  private writing: Promise<void> | undefined;
  private failure: Error | undefined;
  private closed = false;
  private appended = 0;
  private full = 0;
  private syncs = 0;
  private truncatedSegments = 0;
  private readonly tornBytes: number;

  private constructor(
    options: Required<WriteAheadLogOptions>,
    segments: Segment[],
    next: number,
    tornBytes: number,
  ) {
    this.directory = options.directory;
    this.maxBytes = options.maxBytes;
    this.segmentBytes = options.segmentBytes;
    this.segments = segments;
    this.next = next;
    this.tornBytes = tornBytes;
    this.bytes = segments.reduce((n, s) => n + s.bytes, 0);
  }

  /**
   * Opens (or creates) the log in `options.directory`, checking every frame and cutting off a torn last one.
   * Throws naming the option when an option is invalid, and naming the file and position on corruption.
   */
  static async open(options: WriteAheadLogOptions): Promise<WriteAheadLog> {
    const resolved: Required<WriteAheadLogOptions> = {
      directory: options.directory,
      maxBytes: options.maxBytes ?? DEFAULT_MAX_BYTES,
      segmentBytes: options.segmentBytes ?? DEFAULT_SEGMENT_BYTES,
      minNextOffset: options.minNextOffset ?? 0,
    };
    for (const key of ['maxBytes', 'segmentBytes', 'minNextOffset'] as const) {
      const value = resolved[key];
      if (!Number.isSafeInteger(value) || value < (key === 'minNextOffset' ? 0 : 1))
        throw new RangeError(
          `WriteAheadLog: ${key} must be a ${key === 'minNextOffset' ? 'non-negative' : 'positive'} integer, got ${value}`,
        );
    }
    if (resolved.segmentBytes > resolved.maxBytes)
      throw new RangeError(
        `WriteAheadLog: segmentBytes (${resolved.segmentBytes}) must not exceed maxBytes (${resolved.maxBytes})`,
      );
    await mkdir(resolved.directory, { recursive: true });
    const names = (await readdir(resolved.directory))
      .filter((n) => n.endsWith(SEGMENT_SUFFIX) && /^\d{20}\.wal$/.test(n))
      .sort();
    const segments: Segment[] = [];
    let expected: number | undefined;
    let torn = 0;
    for (let i = 0; i < names.length; i++) {
      const path = join(resolved.directory, names[i]);
      const firstOffset = Number(names[i].slice(0, 20));
      const data = await readFile(path);
      const last = i === names.length - 1;
      let pos = 0;
      let offset = firstOffset;
      if (expected !== undefined && firstOffset !== expected)
        throw new Error(
          `egressguard: write-ahead log segment ${path} starts at offset ${firstOffset}, expected ${expected}: a segment is missing`,
        );
      while (pos < data.length) {
        const frame = readFrame(data, pos);
        if (frame === undefined || frame.offset !== offset) {
          if (!last)
            throw new Error(
              `egressguard: write-ahead log segment ${path} is corrupt at byte ${pos} (entry ${offset}); move the directory aside to start without it`,
            );
          // A write the crash interrupted: it was never acknowledged.
          torn = data.length - pos;
          await truncateFile(path, pos);
          await syncFile(path);
          break;
        }
        pos = frame.end;
        offset++;
      }
      segments.push({ firstOffset, path, bytes: pos });
      expected = offset;
    }
    let next = expected ?? 0;
    if (resolved.minNextOffset > next) {
      // The checkpoint covers every entry kept (the log was cut after it was written): none is needed, and numbering
      // must go on from the checkpoint without a gap between segments.
      for (const s of segments.splice(0)) await rm(s.path, { force: true });
      next = resolved.minNextOffset;
    }
    return new WriteAheadLog(resolved, segments, next, torn);
  }

  /** The offset the next entry gets. */
  get nextOffset(): number {
    return this.next;
  }

  /** The offset of the first entry kept (the next offset when the log is empty). */
  get firstOffset(): number {
    return this.segments[0]?.firstOffset ?? this.next;
  }

  /**
   * Appends an entry; `undefined` when it does not fit in `maxBytes` (counted as `full`). The returned promise
   * resolves once the entry is on disk; it rejects when the write or the flush failed, after which every append
   * rejects (the log's state on disk is unknown: stop and recover by opening it again).
   */
  tryAppend(payload: Uint8Array): PendingAppend | undefined {
    if (this.closed) throw new Error('egressguard: write-ahead log is closed');
    if (this.failure) return { offset: -1, durable: Promise.reject(this.failure) };
    const frame = encodeFrame(this.next, payload);
    if (this.bytes + frame.length > this.maxBytes) {
      this.full++;
      return undefined;
    }
    const offset = this.next++;
    this.bytes += frame.length;
    const durable = new Promise<void>((resolve, reject) => this.waiting.push({ frame, resolve, reject }));
    this.writing ??= this.writeLoop();
    return { offset, durable };
  }

  /** Bytes an entry of `payloadBytes` takes in the log. */
  static frameBytes(payloadBytes: number): number {
    return HEADER_BYTES + payloadBytes;
  }

  /** Bytes still free under `maxBytes`. */
  freeBytes(): number {
    return this.maxBytes - this.bytes;
  }

  /** Reads the entries at or after `from`, in order (entries appended after the call may or may not appear). */
  async *entries(from: number): AsyncGenerator<LogEntry> {
    for (let i = 0; i < this.segments.length; i++) {
      const segment = this.segments[i];
      const following = this.segments[i + 1];
      if (following !== undefined && following.firstOffset <= from) continue;
      const data = await readFile(segment.path);
      let pos = 0;
      while (pos < segment.bytes && pos < data.length) {
        const frame = readFrame(data, pos);
        if (frame === undefined)
          throw new Error(`egressguard: write-ahead log segment ${segment.path} is corrupt at byte ${pos}`);
        if (frame.offset >= from) yield { offset: frame.offset, payload: frame.payload };
        pos = frame.end;
      }
    }
  }

  /**
   * Deletes the segments whose every entry lies before `before` (a checkpoint covers them). The segment being
   * written to is kept. Returns how many were deleted.
   */
  async truncate(before: number): Promise<number> {
    let deleted = 0;
    while (this.segments.length > 1 && this.segments[1].firstOffset <= before) {
      const [segment] = this.segments.splice(0, 1);
      await rm(segment.path, { force: true });
      this.bytes -= segment.bytes;
      deleted++;
    }
    this.truncatedSegments += deleted;
    return deleted;
  }

  /** Waits for pending appends and closes the segment. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    await this.writing;
    await this.handle?.close();
    this.handle = undefined;
  }

  /** The log's counters. */
  counters(): WriteAheadLogCounters {
    return {
      appended: this.appended,
      full: this.full,
      syncs: this.syncs,
      truncatedSegments: this.truncatedSegments,
      tornBytes: this.tornBytes,
      segments: this.segments.length,
      bytes: this.bytes,
      nextOffset: this.next,
    };
  }

  private async writeLoop(): Promise<void> {
    while (this.waiting.length > 0) {
      const batch = this.waiting;
      this.waiting = [];
      try {
        const data = batch.length === 1 ? batch[0].frame : Buffer.concat(batch.map((w) => w.frame));
        const firstOffset = data.readUInt32LE(8) + data.readUInt32LE(12) * 2 ** 32;
        const segment = await this.segmentFor(firstOffset);
        let written = 0;
        while (written < data.length) {
          const { bytesWritten } = await this.handle!.write(data, written, data.length - written);
          written += bytesWritten;
        }
        segment.bytes += data.length;
        await this.handle!.datasync();
        this.syncs++;
        this.appended += batch.length;
        for (const w of batch) w.resolve();
      } catch (cause) {
        this.failure = new Error(`egressguard: write-ahead log in ${this.directory} cannot be written`, {
          cause,
        });
        for (const w of [...batch, ...this.waiting.splice(0)]) w.reject(this.failure);
      }
    }
    this.writing = undefined;
  }

  /** The segment to write the entries starting at `firstOffset` to: the last one, or a new one once it is full. */
  private async segmentFor(firstOffset: number): Promise<Segment> {
    const last = this.segments.at(-1);
    if (last !== undefined && this.handle !== undefined && last.bytes < this.segmentBytes) return last;
    if (last !== undefined && this.handle === undefined && last.bytes < this.segmentBytes) {
      this.handle = await open(last.path, 'a');
      return last;
    }
    await this.handle?.close();
    this.handle = undefined;
    const path = join(this.directory, `${String(firstOffset).padStart(20, '0')}${SEGMENT_SUFFIX}`);
    this.handle = await open(path, 'a', 0o600);
    // The new file's name must survive a crash before any acknowledged entry is written into it.
    await syncFile(this.directory);
    const segment: Segment = { firstOffset, path, bytes: 0 };
    this.segments.push(segment);
    return segment;
  }
}

function encodeFrame(offset: number, payload: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
  frame.writeUInt32LE(payload.length, 0);
  frame.writeUInt32LE(offset % 2 ** 32, 8);
  frame.writeUInt32LE(Math.floor(offset / 2 ** 32), 12);
  frame.set(payload, HEADER_BYTES);
  frame.writeUInt32LE(crc32(frame.subarray(HEADER_BYTES), crc32(frame.subarray(8, HEADER_BYTES))), 4);
  return frame;
}

function readFrame(data: Buffer, pos: number): { offset: number; payload: Buffer; end: number } | undefined {
  if (data.length - pos < HEADER_BYTES) return undefined;
  const length = data.readUInt32LE(pos);
  const end = pos + HEADER_BYTES + length;
  if (end > data.length) return undefined;
  const payload = data.subarray(pos + HEADER_BYTES, end);
  const crc = crc32(payload, crc32(data.subarray(pos + 8, pos + HEADER_BYTES)));
  if (crc !== data.readUInt32LE(pos + 4)) return undefined;
  const offset = data.readUInt32LE(pos + 8) + data.readUInt32LE(pos + 12) * 2 ** 32;
  return { offset, payload, end };
}

async function syncFile(path: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(path, 'r');
    await handle.sync();
  } catch {
    // Some filesystems refuse fsync on a directory; the data itself was synced.
  } finally {
    await handle?.close();
  }
}
