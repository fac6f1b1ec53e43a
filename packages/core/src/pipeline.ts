/**
 * A pipeline chains processors: what stage i returns goes into stage i+1. Records a stage emits later (timers,
 * watermarks) enter the chain right after that stage. All work on one pipeline is serialised so that every stage
 * sees records in the order they arrived, whichever path they came by.
 *
 * The pipeline also checks conservation for every stage: each record handed to a stage is passed on (the same
 * object comes out), dropped with a counted reason, or held; records a stage emits are released (it held them) or
 * added (it never received them). A shortfall is reported as `records_lost` naming the stage, and counted.
 */
import type { PipelineRecord } from '@egressguard/schema';

import { reportError } from './errors.ts';
import type { Mutable, Processor, ProcessorCounters, ProcessorSnapshot, RecordBalance } from './processor.ts';

/** Options of a {@link Pipeline}. */
export interface PipelineOptions {
  /**
   * Receives what leaves the chain outside a `process` call (emitted later by a stage). When absent, such records
   * are returned with the next `process` or `flush` result.
   */
  readonly onEmit?: (records: PipelineRecord[]) => void | Promise<void>;
}

/** A snapshot of every stateful stage, by stage id. */
export interface PipelineSnapshot {
  readonly version: 1;
  readonly stages: Record<string, ProcessorSnapshot>;
}

/**
 * What one stage did with records since the pipeline got it, as the runtime counted it. For every stage
 * `recordsIn = recordsOut - added + dropped + held + lost`, and `lost` is 0 unless the stage broke conservation.
 */
export interface StageBalance {
  /**
   * Records handed to the stage, plus the held records it already had when added to the pipeline or got back from a
   * snapshot (restored).
   */
  readonly recordsIn: number;
  /** Records that left the stage, by every path: its results, later emissions, flushes. */
  readonly recordsOut: number;
  /** Of those, the input records it passed on. */
  readonly passed: number;
  /** Of those, the records it emitted from what it held. */
  readonly released: number;
  /** Of those, the records it created (windows, detections, summaries, parsed records). */
  readonly added: number;
  /** Records it dropped with a counted reason. */
  readonly dropped: number;
  /** Records dropped, by reason (the stage's own counters). */
  readonly droppedByReason: Readonly<Record<string, number>>;
  /** Input records it holds now. */
  readonly held: number;
  /** Input records it neither passed on, dropped with a counted reason nor held: each one was reported. */
  readonly lost: number;
  /**
   * Records it counted as dropped or held beyond what it received (a counting defect, reported as
   * `records_overcounted`). 0 for a correct stage.
   */
  readonly overcounted: number;
}

/**
 * Where one stage's time went: the wall-clock time of the pipeline's calls into it (process, flush, shutdown), each
 * measured around the whole call, awaited work included. The chain is serialised, so stages' times add up to the
 * chain's.
 */
export interface StageTiming {
  /** Milliseconds spent in the stage's calls. */
  readonly ms: number;
  /** Calls into the stage (one per batch, flush or shutdown). */
  readonly calls: number;
  /** Records handed to it in those calls. */
  readonly records: number;
}

interface Stage {
  readonly id: string;
  readonly processor: Processor;
  readonly account: StageAccount;
  /** {@link StageTiming}, added to as calls return. */
  readonly timing: Mutable<StageTiming>;
}

/** How far ahead in its batch the book looks for a returned record that is not the next one (see `end`). */
const LOOK_AHEAD = 16;

/**
 * The runtime's book of one stage. Records handed in that did not come out at once may be held: they are
 * remembered (weakly, so dropped ones are collected) to tell a later release from a new record. Held records the
 * pipeline never saw (restored from a snapshot) are known only by count, and the first records of unknown identity
 * the stage emits are taken to be them.
 */
class StageAccount {
  recordsIn = 0;
  passed = 0;
  released = 0;
  added = 0;
  lost = 0;
  overcounted = 0;
  /** Held records the stage had before the pipeline handed it anything (added with state, or restored). */
  heldBase: number;
  /** Of those, how many have not come out yet. */
  unseenHeld: number;
  readonly droppedBase: number;
  readonly maybeHeld = new WeakSet<PipelineRecord>();
  /** The batch the stage is processing now: a record of it emitted during the call was passed on. */
  current: readonly PipelineRecord[] | undefined;
  /** The records of `current` not yet seen coming out, made only when something comes out during the call. */
  private currentLeft: Set<PipelineRecord> | undefined;

  /** Starts a call on `batch` (a copy the stage cannot change). */
  begin(batch: readonly PipelineRecord[]): void {
    this.current = batch;
    this.currentLeft = undefined;
  }

  /**
   * Counts what a call returned. Returns the records of the batch that did not come out.
   *
   * Most stages return the records they got in their order, with records of their own among them (an aggregator's
   * flows) or some left out (a detector's consumed updates), and emit nothing during the call. Those outputs are
   * walked beside the batch: a record that is the batch's next one passed; one found a few places further on passed
   * too, the batch records before it did not come out in order; anything else is set aside. A set is made only of
   * the batch records that did not come out in order, and the records set aside are classified against it: a batch
   * record that came out of order passed, the others are the stage's own or released. A stage that reorders or
   * drops much costs more, never a wrong count.
   */
  end(output: readonly PipelineRecord[]): Set<PipelineRecord> | undefined {
    const batch = this.current!;
    const left = this.currentLeft;
    this.current = undefined;
    this.currentLeft = undefined;
    if (left !== undefined) {
      this.classify(output, left);
      return left;
    }
    let next = 0;
    let skipped: PipelineRecord[] | undefined;
    let aside: PipelineRecord[] | undefined;
    for (let i = 0; i < output.length; i++) {
      const record = output[i];
      if (next < batch.length && record === batch[next]) {
        next++;
        continue;
      }
      const limit = Math.min(batch.length, next + 1 + LOOK_AHEAD);
      let at = next + 1;
      while (at < limit && batch[at] !== record) at++;
      if (at < limit) {
        skipped ??= [];
        for (let k = next; k < at; k++) skipped.push(batch[k]);
        next = at + 1;
      } else {
        (aside ??= []).push(record);
      }
    }
    this.passed += output.length - (aside?.length ?? 0);
    if (next < batch.length) {
      skipped ??= [];
      for (let k = next; k < batch.length; k++) skipped.push(batch[k]);
    }
    if (skipped === undefined) {
      if (aside !== undefined) this.classify(aside, undefined);
      return undefined;
    }
    const notOut = new Set(skipped);
    if (aside !== undefined) this.classify(aside, notOut);
    return notOut;
  }

  /** Forgets the call in progress (the stage threw). */
  abandon(): void {
    this.current = undefined;
    this.currentLeft = undefined;
  }

  /** Records emitted during a call: those of the batch being processed were passed on. */
  private duringCall(): Set<PipelineRecord> | undefined {
    if (this.current === undefined) return undefined;
    return (this.currentLeft ??= new Set(this.current));
  }

  constructor(initial: RecordBalance) {
    this.heldBase = initial.held;
    this.unseenHeld = initial.held;
    this.droppedBase = initial.dropped;
  }

  /** Counts what left the stage; `input` is what is left of the batch it came from, during or after `process`. */
  classify(records: readonly PipelineRecord[], input = this.duringCall()): void {
    for (const r of records) {
      if (input?.delete(r)) this.passed++;
      else if (this.maybeHeld.delete(r)) this.released++;
      else if (this.unseenHeld > 0) {
        this.unseenHeld--;
        this.released++;
      } else this.added++;
    }
  }

  /** Remembers the input records that did not come out, when the stage holds any. */
  remember(input: Set<PipelineRecord> | undefined, balance: RecordBalance): void {
    if (input === undefined || balance.held === 0) return;
    for (const r of input) this.maybeHeld.add(r);
  }

  /** The records not accounted for so far (negative: counted beyond what was received). */
  discrepancy(balance: RecordBalance): number {
    return (
      this.recordsIn -
      this.passed -
      this.released -
      (balance.dropped - this.droppedBase) -
      (balance.held - this.heldBase)
    );
  }

  view(balance: RecordBalance, droppedByReason: Readonly<Record<string, number>>): StageBalance {
    return {
      recordsIn: this.recordsIn + this.heldBase,
      recordsOut: this.passed + this.released + this.added,
      passed: this.passed,
      released: this.released,
      added: this.added,
      dropped: balance.dropped - this.droppedBase,
      droppedByReason,
      held: balance.held,
      lost: this.lost,
      overcounted: this.overcounted,
    };
  }
}

/** An ordered chain of processors. */
export class Pipeline {
  private readonly stages: Stage[] = [];
  private readonly onEmit: PipelineOptions['onEmit'];
  private readonly held: PipelineRecord[] = [];
  private tail: Promise<unknown> = Promise.resolve();
  private shutdownResult: Promise<PipelineRecord[]> | undefined;

  constructor(options: PipelineOptions = {}) {
    this.onEmit = options.onEmit;
  }

  /** A pipeline of processors built without an emitter: their later emissions arrive with their next output. */
  static of(processors: readonly Processor[], options: PipelineOptions = {}): Pipeline {
    const pipeline = new Pipeline(options);
    processors.forEach((p, i) => pipeline.addStage(`${p.metadata.type}#${i}`, () => p));
    return pipeline;
  }

  /**
   * Adds a stage. `build` receives the emitter the processor must use for records it emits later, so that they
   * continue down this pipeline.
   */
  addStage(id: string, build: (emit: (records: PipelineRecord[]) => void) => Processor): this {
    if (this.stages.some((s) => s.id === id))
      throw new Error(`egressguard: duplicate pipeline stage id ${id}`);
    const index = this.stages.length;
    const processor = build((records) => this.emitFrom(index, records));
    this.stages.push({
      id,
      processor,
      account: new StageAccount(processor.recordBalance()),
      timing: { ms: 0, calls: 0, records: 0 },
    });
    return this;
  }

  /** The stages' ids and processors, in order. */
  get processors(): readonly { readonly id: string; readonly processor: Processor }[] {
    return this.stages;
  }

  /** Runs a batch through every stage; returns what leaves the chain. */
  process(batch: PipelineRecord[]): Promise<PipelineRecord[]> {
    if (this.shutdownResult) return Promise.resolve([]);
    return this.serial(async () => this.takeHeld(await this.runFrom(0, batch)));
  }

  /** Flushes every stage in order, each flush's output running through the stages after it. */
  flush(): Promise<PipelineRecord[]> {
    if (this.shutdownResult) return Promise.resolve([]);
    return this.serial(async () => this.takeHeld(await this.drain((p) => p.flush())));
  }

  /** Shuts every stage down in order, flushing what each holds through the rest. Idempotent. */
  shutdown(): Promise<PipelineRecord[]> {
    this.shutdownResult ??= this.serial(async () => this.takeHeld(await this.drain((p) => p.shutdown())));
    return this.shutdownResult;
  }

  /** Snapshots every stateful stage. */
  snapshot(): Promise<PipelineSnapshot> {
    return this.serial(() => {
      const stages: Record<string, ProcessorSnapshot> = {};
      for (const { id, processor } of this.stages) {
        const snap = processor.snapshot();
        if (snap !== undefined) stages[id] = snap;
      }
      return { version: 1 as const, stages };
    });
  }

  /** Restores stages from a snapshot; stages absent from it keep their state, unknown ids are reported. */
  restore(snapshot: PipelineSnapshot): void {
    for (const [id, snap] of Object.entries(snapshot.stages)) {
      const stage = this.stages.find((s) => s.id === id);
      if (!stage) {
        reportError({
          component: 'pipeline',
          reason: 'snapshot_stage_unknown',
          message: `snapshot has state for ${id}, which this pipeline does not have; ignored`,
        });
        continue;
      }
      const before = stage.processor.recordBalance().held;
      stage.processor.restore(snap);
      // Held records that come back from a snapshot enter the stage here, by count: their objects are new.
      const change = stage.processor.recordBalance().held - before;
      stage.account.heldBase += change;
      stage.account.unseenHeld = Math.max(0, stage.account.unseenHeld + change);
    }
  }

  /** Every stage's counters, by stage id. */
  counters(): Record<string, ProcessorCounters> {
    return Object.fromEntries(this.stages.map(({ id, processor }) => [id, processor.counters()]));
  }

  /**
   * What every stage did with records as the pipeline counted it (in, out, added, dropped, held, lost), by stage id
   * in chain order.
   */
  balance(): Record<string, StageBalance> {
    return Object.fromEntries(
      this.stages.map(({ id, processor, account }) => [
        id,
        account.view(processor.recordBalance(), processor.counters().dropped),
      ]),
    );
  }

  /** How long each stage's calls took, by stage id in chain order (see {@link StageTiming}). */
  timings(): Record<string, StageTiming> {
    return Object.fromEntries(this.stages.map(({ id, timing }) => [id, { ...timing }]));
  }

  /** Records lost by all stages together (0 unless a stage broke conservation). */
  recordsLost(): number {
    return this.stages.reduce((n, s) => n + s.account.lost, 0);
  }

  /** Waits until all work queued so far has finished. */
  async idle(): Promise<void> {
    await this.tail.catch(() => undefined);
  }

  private async runFrom(start: number, batch: PipelineRecord[]): Promise<PipelineRecord[]> {
    let current = batch;
    for (let i = start; i < this.stages.length && current.length > 0; i++) {
      const stage = this.stages[i];
      stage.account.recordsIn += current.length;
      // The stage may change the array it is given; the book keeps its own copy.
      stage.account.begin(current.slice());
      const started = performance.now();
      stage.timing.records += current.length;
      let output: PipelineRecord[] | undefined;
      try {
        output = await stage.processor.process(current);
      } finally {
        stage.timing.ms += performance.now() - started;
        stage.timing.calls++;
        if (output === undefined) stage.account.abandon();
      }
      const left = stage.account.end(output);
      current = output;
      const balance = stage.processor.recordBalance();
      stage.account.remember(left, balance);
      this.check(stage, balance);
    }
    return current;
  }

  private async drain(step: (p: Processor) => Promise<PipelineRecord[]>): Promise<PipelineRecord[]> {
    const out: PipelineRecord[] = [];
    for (let i = 0; i < this.stages.length; i++) {
      const stage = this.stages[i];
      const started = performance.now();
      const emitted = await step(stage.processor);
      stage.timing.ms += performance.now() - started;
      stage.timing.calls++;
      stage.account.classify(emitted);
      this.check(stage, stage.processor.recordBalance());
      if (emitted.length > 0) out.push(...(await this.runFrom(i + 1, emitted)));
    }
    return out;
  }

  /**
   * Reports what a stage lost since the last check. Checked after each call the pipeline makes, never during one:
   * a stage in the middle of a batch has received records it has not yet returned.
   */
  private check(stage: Stage, balance: RecordBalance): void {
    const account = stage.account;
    const missing = account.discrepancy(balance);
    if (missing > account.lost) {
      const n = missing - account.lost;
      account.lost = missing;
      reportError({
        component: stage.id,
        reason: 'records_lost',
        message: `${n} record(s) neither passed on, dropped with a counted reason nor held (${describe(account.view(balance, {}))})`,
      });
    } else if (-missing > account.overcounted) {
      const n = -missing - account.overcounted;
      account.overcounted = -missing;
      reportError({
        component: stage.id,
        reason: 'records_overcounted',
        message: `${n} record(s) counted as dropped or held beyond what the stage received (${describe(account.view(balance, {}))})`,
      });
    }
  }

  private emitFrom(index: number, records: PipelineRecord[]): void {
    if (records.length === 0) return;
    const stage = this.stages[index];
    // Counted now, in step with the stage's own held count, which already went down if it released them.
    stage?.account.classify(records);
    void this.serial(async () => {
      if (stage) this.check(stage, stage.processor.recordBalance());
      const out = await this.runFrom(index + 1, records);
      if (out.length === 0) return;
      if (this.onEmit) await this.onEmit(out);
      else this.held.push(...out);
    }).catch((cause: unknown) => {
      reportError({
        component: 'pipeline',
        reason: 'emit_failed',
        message: `${records.length} records emitted by ${this.stages[index]?.id ?? index} could not be delivered`,
        cause,
      });
    });
  }

  private serial<T>(work: () => Promise<T> | T): Promise<T> {
    const run = this.tail.then(work, work);
    this.tail = run.catch(() => undefined);
    return run;
  }

  private takeHeld(out: PipelineRecord[]): PipelineRecord[] {
    if (this.held.length === 0) return out;
    return this.held.splice(0, this.held.length).concat(out);
  }
}

function describe(b: StageBalance): string {
  return `in ${b.recordsIn}, out ${b.recordsOut} of which ${b.added} added, dropped ${b.dropped}, held ${b.held}`;
}
