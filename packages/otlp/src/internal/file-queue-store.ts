/**
 * The on-disk half of a `SendingQueue` with file storage: an append-only log of framed entries in segment
 * files, and a cursor file naming the last acknowledged entry.
 *
 * Layout of the directory (one per queue):
 * - `segment-<first sequence number, 16 digits>.log`: entries one after the other, each framed as
 *   `magic "EGQ1" (4) | payload length u32 LE (4) | record count u32 LE (4) | sequence number u64 LE (8) |
 *   CRC-32 u32 LE (4) | payload`, the CRC covering the three fields before it and the payload; the payload is one
 *   OTLP/protobuf `ExportLogsServiceRequest`. A segment is closed at about `segmentBytes` and a new one started.
 * - `acked`: the decimal sequence number of the last acknowledged entry (written to a temporary file and renamed).
 *
 * Writes go to the operating system as soon as the event loop allows, so a killed process (SIGKILL) loses nothing
 * it had already handed over; `sync()` adds `fdatasync` (group commit: one for everything appended so far, however
 * many callers wait), and the directory's `fsync` when a segment was created, so that what it covers also survives
 * a power loss. The cursor is not synced: losing it only sends acknowledged entries again (at-least-once), never
 * loses one. A torn last frame (a kill in mid-write) ends its segment's reading; so does a damaged frame, which is
 * reported with the bytes it made unreadable.
 */
import { mkdirSync, readdirSync } from 'node:fs';
import { open, readFile, rename, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';

import { reportError } from '@egressguard/core';

/** Bytes of a frame header. */
export const FRAME_HEADER_BYTES = 24;
const MAGIC = 0x31514745; // "EGQ1" read as u32 LE
const SEGMENT = /^segment-(\d{16})\.log$/;
const ACKED = 'acked';

/** Where an entry's frame lies. */
export interface FrameLocation {
  readonly segment: string;
  readonly offset: number;
  readonly length: number;
}

/** An unacknowledged entry found on disk at open. */
export interface StoredEntry {
  readonly seq: number;
  readonly count: number;
  readonly frameBytes: number;
  readonly location: FrameLocation;
}

interface Segment {
  readonly path: string;
  readonly firstSeq: number;
  lastSeq: number;
  size: number;
}

/** Frames a payload; see the module comment. */
export function frame(seq: number, count: number, payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  out.writeUInt32LE(MAGIC, 0);
  out.writeUInt32LE(payload.length, 4);
  out.writeUInt32LE(count, 8);
  out.writeBigUInt64LE(BigInt(seq), 12);
  out.set(payload, FRAME_HEADER_BYTES);
  const crc = crc32(out.subarray(FRAME_HEADER_BYTES), crc32(out.subarray(4, 20)));
  out.writeUInt32LE(crc, 20);
  return out;
}

/** The on-disk log of one queue; see the module comment. */
export class FileQueueStore {
  readonly #dir: string;
  readonly #segmentBytes: number;
  readonly #name: string;
  readonly #segments: Segment[] = [];
  #current: { segment: Segment; handle: FileHandle } | undefined;
  #pending: { seq: number; data: Buffer }[] = [];
  #appendedSeq: number;
  #writtenSeq: number;
  #syncedSeq: number;
  #syncWanted = 0;
  #dirDirty = false;
  #writing: Promise<void> | undefined;
  #writeError: Error | undefined;
  #syncWaiters: { seq: number; resolve: () => void; reject: (e: unknown) => void }[] = [];
  #ackedSeq: number;
  #ackWriting: Promise<void> | undefined;
  #ackWanted: number;
  #closed = false;
  /** The segment this run appends to. */
  #newSegment: Segment | undefined;
  /** Called with the last written sequence number after each write. */
  onWritten: ((seq: number) => void) | undefined;

  private constructor(dir: string, name: string, segmentBytes: number, acked: number, lastSeq: number) {
    this.#dir = dir;
    this.#name = name;
    this.#segmentBytes = segmentBytes;
    this.#ackedSeq = acked;
    this.#ackWanted = acked;
    this.#appendedSeq = lastSeq;
    this.#writtenSeq = lastSeq;
    this.#syncedSeq = lastSeq;
  }

  /**
   * Opens (creating) the directory and reads what a previous run left: the entries after the acknowledged cursor,
   * in order. Segments holding only acknowledged entries are deleted.
   */
  static async open(
    dir: string,
    name: string,
    segmentBytes: number,
  ): Promise<{ store: FileQueueStore; entries: StoredEntry[]; nextSeq: number }> {
    mkdirSync(dir, { recursive: true });
    let acked = 0;
    try {
      const text = (await readFile(join(dir, ACKED), 'utf8')).trim();
      if (/^\d+$/.test(text)) acked = Number(text);
      else if (text !== '')
        reportError({
          component: name,
          reason: 'queue_cursor_unreadable',
          message: `${join(dir, ACKED)} is not a sequence number; every entry on disk is sent again`,
        });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const names = readdirSync(dir)
      .filter((n) => SEGMENT.test(n))
      .sort();
    const entries: StoredEntry[] = [];
    const segments: Segment[] = [];
    let lastSeq = acked;
    for (const n of names) {
      const path = join(dir, n);
      const data = await readFile(path);
      const firstSeq = Number(SEGMENT.exec(n)![1]);
      const segment: Segment = { path, firstSeq, lastSeq: firstSeq - 1, size: data.length };
      let offset = 0;
      while (offset + FRAME_HEADER_BYTES <= data.length) {
        const length = data.readUInt32LE(offset + 4);
        const end = offset + FRAME_HEADER_BYTES + length;
        if (data.readUInt32LE(offset) !== MAGIC || end > data.length) break;
        const crc = crc32(
          data.subarray(offset + FRAME_HEADER_BYTES, end),
          crc32(data.subarray(offset + 4, offset + 20)),
        );
        if (crc !== data.readUInt32LE(offset + 20)) break;
        const seq = Number(data.readBigUInt64LE(offset + 12));
        const count = data.readUInt32LE(offset + 8);
        segment.lastSeq = seq;
        if (seq > lastSeq) lastSeq = seq;
        if (seq > acked) {
          entries.push({
            seq,
            count,
            frameBytes: end - offset,
            location: { segment: path, offset, length: end - offset },
          });
        }
        offset = end;
      }
      if (offset < data.length) {
        // A kill in mid-write leaves a short last frame: nothing in it was ever synced, so nothing acknowledged is
        // lost. Bytes that are not a frame at all are damage, reported with their size.
        reportError({
          component: name,
          reason: 'queue_segment_damaged',
          message: `${path}: ${data.length - offset} bytes from offset ${offset} are not a complete entry and are skipped`,
        });
      }
      if (segment.lastSeq <= acked) await rm(path, { force: true });
      else segments.push(segment);
    }
    const store = new FileQueueStore(dir, name, segmentBytes, acked, lastSeq);
    store.#segments.push(...segments);
    return { store, entries, nextSeq: lastSeq + 1 };
  }

  /** Appends one framed entry (see {@link frame}); written in the background, in order. */
  append(seq: number, data: Buffer): FrameLocation {
    if (this.#closed) throw new Error(`${this.#name}: queue store is closed`);
    this.#pending.push({ seq, data });
    this.#appendedSeq = seq;
    // The location is fixed now: frames are written in append order, and a new segment starts only at a frame.
    const location = this.#place(seq, data.length);
    this.#kick();
    return location;
  }

  /** Resolves when every entry appended so far is written and synced to disk; rejects when a write failed. */
  sync(): Promise<void> {
    if (this.#writeError) return Promise.reject(this.#writeError);
    const seq = this.#appendedSeq;
    if (this.#syncedSeq >= seq && !this.#dirDirty) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.#syncWaiters.push({ seq, resolve, reject });
      this.#syncWanted = Math.max(this.#syncWanted, seq);
      this.#kick();
    });
  }

  /**
   * Reads entries' payloads, in the order given (waiting for their writes when still pending). Entries lying one
   * after the other in one segment are read with one `read`.
   */
  async readMany(entries: readonly { seq: number; location: FrameLocation }[]): Promise<Uint8Array[]> {
    if (entries.length === 0) return [];
    const last = Math.max(...entries.map((e) => e.seq));
    while (this.#writtenSeq < last) {
      if (this.#writeError) throw this.#writeError;
      if (!this.#writing) this.#kick();
      await this.#writing;
    }
    const out: Uint8Array[] = [];
    let i = 0;
    while (i < entries.length) {
      // A run of entries contiguous in one segment.
      const first = entries[i].location;
      let end = first.offset + first.length;
      let j = i + 1;
      while (
        j < entries.length &&
        entries[j].location.segment === first.segment &&
        entries[j].location.offset === end
      ) {
        end += entries[j].location.length;
        j++;
      }
      const handle = await open(first.segment, 'r');
      try {
        const buffer = Buffer.allocUnsafe(end - first.offset);
        let read = 0;
        while (read < buffer.length) {
          const { bytesRead } = await handle.read(buffer, read, buffer.length - read, first.offset + read);
          if (bytesRead === 0) throw new Error(`${first.segment}: entry ${entries[i].seq} is cut short`);
          read += bytesRead;
        }
        let at = 0;
        for (let k = i; k < j; k++) {
          const length = entries[k].location.length;
          out.push(buffer.subarray(at + FRAME_HEADER_BYTES, at + length));
          at += length;
        }
      } finally {
        await handle.close();
      }
      i = j;
    }
    return out;
  }

  /**
   * Records that every entry up to `seq` is done with (delivered, rejected or given up): the cursor moves, and
   * segments holding only such entries are deleted. Runs in the background; failures are reported.
   */
  ack(seq: number): void {
    if (seq <= this.#ackWanted) return;
    this.#ackWanted = seq;
    this.#ackWriting ??= this.#ackLoop().finally(() => {
      this.#ackWriting = undefined;
    });
  }

  /** Writes and syncs what is pending, finishes the cursor, and closes the files. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    try {
      await this.sync();
    } catch {
      // Already reported by the writer.
    }
    this.#closed = true;
    await this.#writing;
    await this.#ackWriting;
    await this.#current?.handle.close();
    this.#current = undefined;
  }

  /** Assigns the frame its place: the current (last) segment, or a new one when that is full. */
  #place(seq: number, length: number): FrameLocation {
    // Only segments this run created are appended to: a previous run's last segment may end in a torn frame.
    let last = this.#newSegment;
    if (!last || last.size >= this.#segmentBytes) {
      const path = join(this.#dir, `segment-${String(seq).padStart(16, '0')}.log`);
      last = { path, firstSeq: seq, lastSeq: seq, size: 0 };
      this.#segments.push(last);
      this.#newSegment = last;
    }
    const offset = last.size;
    last.size += length;
    last.lastSeq = seq;
    return { segment: last.path, offset, length };
  }

  #kick(): void {
    this.#writing ??= this.#writeLoop().finally(() => {
      this.#writing = undefined;
      if (!this.#writeError && (this.#pending.length > 0 || this.#syncWanted > this.#syncedSeq)) this.#kick();
    });
  }

  async #writeLoop(): Promise<void> {
    try {
      while (this.#pending.length > 0 || this.#syncWanted > this.#syncedSeq) {
        while (this.#pending.length > 0) {
          // Frames for one segment at a time, in one writev.
          const first = this.#pending[0];
          const segment = this.#segmentOf(first.seq);
          const batch: Buffer[] = [];
          let last = first.seq;
          while (this.#pending.length > 0 && this.#segmentOf(this.#pending[0].seq) === segment) {
            const p = this.#pending.shift()!;
            batch.push(p.data);
            last = p.seq;
          }
          const handle = await this.#handleFor(segment);
          await writeAll(handle, batch);
          this.#writtenSeq = last;
          this.onWritten?.(last);
        }
        if (this.#syncWanted > this.#syncedSeq || this.#dirDirty) {
          const target = this.#writtenSeq;
          await this.#current?.handle.datasync();
          if (this.#dirDirty) {
            this.#dirDirty = false;
            await syncDirectory(this.#dir);
          }
          this.#syncedSeq = target;
          this.#syncWaiters = this.#syncWaiters.filter((w) => {
            if (w.seq > target) return true;
            w.resolve();
            return false;
          });
        }
      }
    } catch (error) {
      this.#writeError = error instanceof Error ? error : new Error(String(error));
      reportError({
        component: this.#name,
        reason: 'queue_write_failed',
        message: `cannot write the sending queue in ${this.#dir}; entries stay in memory only`,
        cause: error,
      });
      for (const w of this.#syncWaiters) w.reject(error);
      this.#syncWaiters = [];
    }
  }

  /** Whether the store can no longer write (a failed write); entries then live in memory only. */
  get failed(): boolean {
    return this.#writeError !== undefined;
  }

  #segmentOf(seq: number): Segment {
    for (let i = this.#segments.length - 1; i >= 0; i--)
      if (this.#segments[i].firstSeq <= seq) return this.#segments[i];
    return this.#segments[0];
  }

  async #handleFor(segment: Segment): Promise<FileHandle> {
    if (this.#current?.segment === segment) return this.#current.handle;
    if (this.#current) {
      // The finished segment is synced before it is left, so sync() only ever has the current file to sync.
      await this.#current.handle.datasync();
      await this.#current.handle.close();
    }
    const handle = await open(segment.path, 'a');
    this.#current = { segment, handle };
    this.#dirDirty = true;
    return handle;
  }

  async #ackLoop(): Promise<void> {
    while (this.#ackedSeq < this.#ackWanted) {
      const seq = this.#ackWanted;
      try {
        const tmp = join(this.#dir, `${ACKED}.tmp`);
        await writeFile(tmp, `${seq}\n`);
        await rename(tmp, join(this.#dir, ACKED));
        this.#ackedSeq = seq;
        // Segments wholly acknowledged, except the one being written, go.
        while (this.#segments.length > 0) {
          const s = this.#segments[0];
          if (s.lastSeq > seq || s === this.#current?.segment || s === this.#newSegment) break;
          this.#segments.shift();
          await rm(s.path, { force: true });
        }
      } catch (error) {
        reportError({
          component: this.#name,
          reason: 'queue_cursor_write_failed',
          message: `cannot record acknowledged entries in ${this.#dir}; they may be sent again after a restart`,
          cause: error,
        });
        return;
      }
    }
  }
}

async function writeAll(handle: FileHandle, buffers: Buffer[]): Promise<void> {
  let rest = buffers;
  while (rest.length > 0) {
    const total = rest.reduce((n, b) => n + b.length, 0);
    const { bytesWritten } = await handle.writev(rest);
    if (bytesWritten === total) return;
    // A short write: go on from where it stopped.
    let skip = bytesWritten;
    const next: Buffer[] = [];
    for (const b of rest) {
      if (skip >= b.length) {
        skip -= b.length;
        continue;
      }
      next.push(skip > 0 ? b.subarray(skip) : b);
      skip = 0;
    }
    rest = next;
  }
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
