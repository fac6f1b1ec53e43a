/**
 * A checkpoint: the state of every stateful stage together with the write-ahead log offset it covers. Restoring it
 * and replaying the log from that offset rebuilds exactly the state a run that never stopped would have.
 *
 * Written atomically through {@link FileStateStore} (temporary file, fsync, rename, directory fsync): a crash leaves
 * the previous checkpoint or the new one, never a torn one.
 */
import { FileStateStore } from './state-store.ts';

/** What a checkpoint file holds. */
export interface Checkpoint<S> {
  /** Format version of the checkpoint file itself (the state inside carries its own versions). */
  readonly version: 1;
  /** Every log entry before this offset is covered by `state`; replay starts here. */
  readonly offset: number;
  /** When it was written (processing time, ISO 8601), for people reading the file. */
  readonly written: string;
  /** The state, by owner (for the CLI: pipeline snapshots by pipeline id). */
  readonly state: S;
}

/** Reads and writes one checkpoint file. */
export class CheckpointStore<S> {
  private readonly store: FileStateStore<Checkpoint<S>>;

  /** @param path - the checkpoint file. */
  constructor(path: string) {
    this.store = new FileStateStore<Checkpoint<S>>(path);
  }

  /** The checkpoint file's path. */
  get path(): string {
    return this.store.path;
  }

  /**
   * The stored checkpoint, or `undefined` when there is none. Throws naming the file when it is not a checkpoint
   * (bad JSON, another shape, an unknown version): starting empty instead would silently forget the state.
   */
  load(): Checkpoint<S> | undefined {
    const value = this.store.load() as unknown;
    if (value === undefined) return undefined;
    const problem = (why: string) =>
      new Error(
        `egressguard: checkpoint file ${this.path} ${why}; move it aside to start from an empty state`,
      );
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw problem('is not a checkpoint (a JSON object with "version": 1)');
    const c = value as Record<string, unknown>;
    if (c.version !== 1) throw problem(`has unknown version ${String(c.version)}`);
    if (!Number.isSafeInteger(c.offset) || (c.offset as number) < 0)
      throw problem(`has no valid "offset" (got ${JSON.stringify(c.offset)})`);
    if (typeof c.state !== 'object' || c.state === null) throw problem('has no "state" object');
    return value as Checkpoint<S>;
  }

  /** Replaces the checkpoint atomically. */
  save(offset: number, state: S, now: number = Date.now()): void {
    this.store.save({ version: 1, offset, written: new Date(now).toISOString(), state });
  }
}
