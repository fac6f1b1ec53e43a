/**
 * The processor contract: batch in, batch out. A processor may change, drop or add records; a stateful one may
 * emit records later (a window closes on a timer or a watermark, a flush, shutdown). Lifecycle: process, flush,
 * snapshot/restore where stateful, shutdown once.
 */
import type { PipelineRecord } from '@egressguard/schema';

import type { ContractSide, StateDefinition } from './define-processor.ts';
import { reportError } from './errors.ts';

/** `T` with its fields writable: an object a stage builds in place, or reuses for every record instead of making one. */
export type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** How far along a component is, as the OpenTelemetry Collector labels its components. */
export type Stability = 'development' | 'alpha' | 'beta' | 'stable';

/** What a processor is and does; drives `egressguard list`/`describe`, the docs and the conformance suite. */
export interface ProcessorMetadata {
  /** The component type used in configuration (`http_flow_aggregator`). */
  readonly type: string;
  readonly description: string;
  readonly stability: Stability;
  /** Whether it holds state across batches (and so snapshots, restores and flushes). */
  readonly stateful: boolean;
  /** Event names and attributes it reads. */
  readonly reads: ContractSide;
  /** Event names and attributes it writes. */
  readonly writes: ContractSide;
}

/** Size of a processor's state and the bound it is kept under. */
export interface StateSize {
  readonly entries: number;
  /** Estimated bytes held, when the processor can say. */
  readonly bytes?: number;
  /** The configured bound on entries. */
  readonly maxEntries?: number;
}

/** A processor's counters since creation. */
export interface ProcessorCounters {
  readonly recordsIn: number;
  /** Records returned from `process`. */
  readonly recordsOut: number;
  /** Records emitted outside `process`: timers, watermarks, flush, shutdown. */
  readonly recordsEmitted: number;
  /** Records dropped, by reason. */
  readonly dropped: Readonly<Record<string, number>>;
  /** Other events worth counting (late records, overflow, evictions, errors), by name. */
  readonly events: Readonly<Record<string, number>>;
  /**
   * Input records the processor holds now to pass on later (a connection waiting for its process): neither passed
   * on nor dropped yet. Records it emits from them later are released, not new.
   */
  readonly held: number;
  readonly state: StateSize;
}

/**
 * What the runtime reads after every call to check that no record is lost: cheaper than {@link Processor.counters}
 * because it is read once per stage and batch.
 */
export interface RecordBalance {
  /** Records dropped since creation, all reasons together (the sum of {@link ProcessorCounters.dropped}). */
  readonly dropped: number;
  /** Input records held now (as {@link ProcessorCounters.held}). */
  readonly held: number;
}

/** Handed to a processor at creation. */
export interface ProcessorContext {
  /** The component id, `type` or `type/name`. */
  readonly id: string;
  /** Processing-time clock in Unix milliseconds (injectable for tests). */
  readonly now: () => number;
  /**
   * Receives records the processor emits outside `process` (a timer closing a window). When absent, such records
   * are held and returned with the next `process` or `flush` result, so library users lose nothing.
   */
  readonly emit?: (records: PipelineRecord[]) => void;
}

/** A state snapshot: plain JSON, versioned by the processor that wrote it. */
export type ProcessorSnapshot = { readonly version: number } & Record<string, unknown>;

/** The processor contract every stage implements. */
export interface Processor {
  readonly metadata: ProcessorMetadata;
  /** Processes one batch; returns what passes on (changed, fewer or more records). Never throws per record. */
  process(batch: PipelineRecord[]): Promise<PipelineRecord[]>;
  /** Emits everything held (open windows included) and returns it; state that outlives windows is kept. */
  flush(): Promise<PipelineRecord[]>;
  /** The state as JSON; `undefined` for stateless processors. */
  snapshot(): ProcessorSnapshot | undefined;
  /** Replaces the state with a snapshot's; throws on a snapshot it cannot read (named version and reason). */
  restore(snapshot: ProcessorSnapshot): void;
  /** Flushes, stops timers and releases resources; returns what the flush emitted. Idempotent. */
  shutdown(): Promise<PipelineRecord[]>;
  counters(): ProcessorCounters;
  /**
   * Records dropped so far and input records held now. The pipeline checks with them that every input record was
   * passed on, dropped with a counted reason or held (see the package README, "Conservation").
   */
  recordBalance(): RecordBalance;
}

/** Counters a processor keeps; a plain class with maps so that hot-path increments cost little. */
export class ProcessorStats {
  recordsIn = 0;
  recordsOut = 0;
  recordsEmitted = 0;
  /** Records dropped, all reasons together. */
  droppedTotal = 0;
  private readonly droppedByReason = new Map<string, number>();
  private readonly eventsByName = new Map<string, number>();

  /** Counts `n` records dropped for `reason`. */
  drop(reason: string, n = 1): void {
    this.droppedByReason.set(reason, (this.droppedByReason.get(reason) ?? 0) + n);
    this.droppedTotal += n;
  }

  /** Counts `n` occurrences of an event (late, overflow, eviction, …). */
  count(name: string, n = 1): void {
    this.eventsByName.set(name, (this.eventsByName.get(name) ?? 0) + n);
  }

  /** The count of a dropped reason or event, 0 when never counted. */
  get(name: string): number {
    return this.droppedByReason.get(name) ?? this.eventsByName.get(name) ?? 0;
  }

  /** A frozen view of the counters, with the given state size and count of held input records. */
  view(state: StateSize, held = 0): ProcessorCounters {
    return {
      recordsIn: this.recordsIn,
      recordsOut: this.recordsOut,
      recordsEmitted: this.recordsEmitted,
      dropped: Object.fromEntries(this.droppedByReason),
      events: Object.fromEntries(this.eventsByName),
      held,
      state,
    };
  }

  /** The counters as plain JSON, for snapshots. */
  toJSON(): ProcessorCounters {
    return this.view({ entries: 0 });
  }
}

/** Metadata of a processor created without a definition (a test double that declares its own). */
const UNDECLARED: ProcessorMetadata = Object.freeze({
  type: 'undeclared',
  description: '',
  stability: 'development',
  stateful: false,
  reads: { events: [], attributes: [] },
  writes: { events: [], attributes: [] },
});

/**
 * The common skeleton of every processor: counting, shutdown once, process-after-shutdown as a counted no-op,
 * holding later emissions for library callers, error containment around `processBatch`, and the state snapshot:
 * a stateful processor passes its {@link StateDefinition} and implements `snapshotState`/`restoreState` on its
 * typed state, and the base encodes, validates and migrates snapshots (a bad one is an error naming the processor
 * and the key). Subclasses implement {@link BaseProcessor.processBatch} and, when stateful, `flushState` and
 * `stateSize`; a processor that holds input records to pass on later also implements `heldRecords`.
 */
export abstract class BaseProcessor<S extends object = never> implements Processor {
  /** The definition's metadata (from the context `defineProcessor` creates it with). */
  readonly metadata: ProcessorMetadata;
  protected readonly stats = new ProcessorStats();
  protected readonly context: ProcessorContext;
  private readonly stateDefinition: StateDefinition<S> | undefined;
  private readonly held: PipelineRecord[] = [];
  private shutdownResult: Promise<PipelineRecord[]> | undefined;

  constructor(
    context: ProcessorContext & { readonly metadata?: ProcessorMetadata },
    state?: StateDefinition<S>,
  ) {
    this.context = context;
    this.metadata = context.metadata ?? UNDECLARED;
    this.stateDefinition = state;
  }

  /** True once `shutdown` has been called. */
  protected get isShutdown(): boolean {
    return this.shutdownResult !== undefined;
  }

  async process(batch: PipelineRecord[]): Promise<PipelineRecord[]> {
    if (this.isShutdown) {
      this.stats.drop('after_shutdown', batch.length);
      return [];
    }
    this.stats.recordsIn += batch.length;
    let out: PipelineRecord[];
    try {
      out = await this.processBatch(batch);
    } catch (cause) {
      // processBatch should contain per-record trouble itself; this is the last line so a bug never loses a batch.
      this.report('processing_failed', `batch of ${batch.length} records passed through unprocessed`, cause);
      out = batch;
    }
    this.stats.recordsOut += out.length;
    return this.takeHeld(out);
  }

  async flush(): Promise<PipelineRecord[]> {
    if (this.isShutdown) return [];
    return this.takeHeld(await this.flushAndCount());
  }

  snapshot(): ProcessorSnapshot | undefined {
    if (!this.stateDefinition) return undefined;
    return this.stateDefinition.encode(this.snapshotState());
  }

  restore(snapshot: ProcessorSnapshot): void {
    if (!this.stateDefinition)
      throw new Error(
        `${this.context.id}: stateless processor cannot restore a snapshot (version ${snapshot.version})`,
      );
    this.restoreState(this.stateDefinition.decode(snapshot, this.context.id));
  }

  shutdown(): Promise<PipelineRecord[]> {
    this.shutdownResult ??= (async () => {
      const out = this.takeHeld(await this.flushAndCount());
      await this.close();
      return out;
    })();
    return this.shutdownResult;
  }

  counters(): ProcessorCounters {
    return this.stats.view(this.stateSize(), this.heldRecords());
  }

  recordBalance(): RecordBalance {
    return { dropped: this.stats.droppedTotal, held: this.heldRecords() };
  }

  /** Handles one batch. Per-record trouble is counted and reported, not thrown. */
  protected abstract processBatch(batch: PipelineRecord[]): Promise<PipelineRecord[]> | PipelineRecord[];

  /** Emits everything held; stateless processors hold nothing. */
  protected flushState(): Promise<PipelineRecord[]> | PipelineRecord[] {
    return [];
  }

  /** The state, as its definition's schema describes it (plain JSON values). Stateful processors implement it. */
  protected snapshotState(): S {
    throw new Error(`${this.context.id}: a processor with a state definition must implement snapshotState`);
  }

  /** Replaces the state with a validated (and, from older versions, migrated) one. Stateful processors implement it. */
  protected restoreState(_state: S): void {
    throw new Error(`${this.context.id}: a processor with a state definition must implement restoreState`);
  }

  /** Releases timers and resources after the final flush. */
  protected close(): Promise<void> | void {}

  /**
   * How many input records the processor holds now to pass on later, including records already taken out of its
   * state but not yet handed on (a release waiting for an asynchronous step). Records it creates (windows,
   * summaries) are not held records. Default 0.
   */
  protected heldRecords(): number {
    return 0;
  }

  /** Current state size; stateless processors hold nothing. */
  protected stateSize(): { entries: number; bytes?: number; maxEntries?: number } {
    return { entries: 0 };
  }

  /**
   * Emits records outside `process` (a timer or watermark closed a window): to the context's `emit` when the
   * processor runs in a pipeline, else held for the next `process`/`flush` result.
   */
  protected emitLater(records: PipelineRecord[]): void {
    if (records.length === 0) return;
    this.stats.recordsEmitted += records.length;
    if (this.context.emit) this.context.emit(records);
    else this.held.push(...records);
  }

  /** Counts and reports a problem with the given reason. */
  protected report(reason: string, message: string, cause?: unknown): void {
    this.stats.count(reason);
    reportError({ component: this.context.id, reason, message, cause });
  }

  private async flushAndCount(): Promise<PipelineRecord[]> {
    const out = await this.flushState();
    this.stats.recordsEmitted += out.length;
    return out;
  }

  private takeHeld(out: PipelineRecord[]): PipelineRecord[] {
    if (this.held.length === 0) return out;
    const held = this.held.splice(0, this.held.length);
    return held.concat(out);
  }
}
