/**
 * A pipeline chains processors: what stage i returns goes into stage i+1. Records a stage emits later (timers,
 * watermarks) enter the chain right after that stage. All work on one pipeline is serialised so that every stage
 * sees records in the order they arrived, whichever path they came by.
 */
import type { PipelineRecord } from '@egressguard/schema';

import { reportError } from './errors.ts';
import type { Processor, ProcessorCounters, ProcessorSnapshot } from './processor.ts';

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

interface Stage {
  readonly id: string;
  readonly processor: Processor;
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
    this.stages.push({ id, processor });
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
      stage.processor.restore(snap);
    }
  }

  /** Every stage's counters, by stage id. */
  counters(): Record<string, ProcessorCounters> {
    return Object.fromEntries(this.stages.map(({ id, processor }) => [id, processor.counters()]));
  }

  /** Waits until all work queued so far has finished. */
  async idle(): Promise<void> {
    await this.tail.catch(() => undefined);
  }

  private async runFrom(start: number, batch: PipelineRecord[]): Promise<PipelineRecord[]> {
    let current = batch;
    for (let i = start; i < this.stages.length && current.length > 0; i++) {
      current = await this.stages[i].processor.process(current);
    }
    return current;
  }

  private async drain(step: (p: Processor) => Promise<PipelineRecord[]>): Promise<PipelineRecord[]> {
    const out: PipelineRecord[] = [];
    for (let i = 0; i < this.stages.length; i++) {
      const emitted = await step(this.stages[i].processor);
      if (emitted.length > 0) out.push(...(await this.runFrom(i + 1, emitted)));
    }
    return out;
  }

  private emitFrom(index: number, records: PipelineRecord[]): void {
    if (records.length === 0) return;
    void this.serial(async () => {
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
