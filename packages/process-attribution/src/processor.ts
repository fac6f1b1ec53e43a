/**
 * The process-attribution enricher: for every connection record, which process made it and how sure that is.
 *
 * Process exec and exit records feed a {@link ProcessTable}; connection records that carried a pid feed a
 * {@link ConnectionJoinBuffer}; then each connection record is attributed by the configured rules, first match
 * wins, and gets `egressguard.attribution.method` and `.confidence` (and `.reason`, `.candidates` when it could not
 * be attributed or not for sure). Attributes are only ever added: a sensor's own value is never overwritten.
 */
import {
  BaseProcessor,
  type Mutable,
  type ProcessorContext,
  type ProcessorDescription,
} from '@egressguard/core';
import type { PipelineRecord } from '@egressguard/schema';
import {
  AttributionAttr,
  AttributionMethod,
  EventName,
  NetworkAttr,
  ProcessAttr,
  ProvenanceAttr,
  eventTimeMs,
  get,
  hostName,
} from '@egressguard/schema';

import type { ProcessAttributionConfig } from './config.ts';
import {
  ATTRIBUTION_CONFIDENCE,
  AttributionReason,
  PROCESS_KEYS,
  fillFromEntry,
  isoMs,
  markAttributed,
  markUnattributed,
  processPid,
  tableConfidence,
  type Reason,
} from './internal/attribution.ts';
import type { ConnectionJoinBuffer } from './internal/connection-join.ts';
import { HashQueue } from './internal/hash-queue.ts';
import { learnProcessEvent } from './internal/process-events.ts';
import type { ProcessTable } from './internal/process-table.ts';
import type { ProcfsReader } from './internal/procfs-reader.ts';
import { buildSources, sourceCounters, type Sources } from './internal/sources.ts';
import { HeldRecords } from './internal/hold.ts';
import { restoreFrom, snapshotOf, type Held } from './internal/snapshot.ts';
import { processAttributionState, type ProcessAttributionState } from './internal/state.ts';
import { buildRules } from './internal/rules/index.ts';
import type { JoinRule } from './internal/rules/join-rule.ts';
import {
  newAttempt,
  resetAttempt,
  type Attribution,
  type Rule,
  type RuleQuery,
} from './internal/rules/rule.ts';

/** What the enricher is, reads and writes. */
export const processAttributionDescription: ProcessorDescription = {
  type: 'process_attribution',
  description:
    'Finds the process behind each connection record (process table, cross-sensor join, /proc, socket inode) and says how sure it is.',
  stability: 'alpha',
  reads: {
    events: [EventName.CONNECTION, EventName.PROCESS_EXEC, EventName.PROCESS_EXIT],
    attributes: [
      ...PROCESS_KEYS,
      ProcessAttr.EXIT_TIME,
      NetworkAttr.SOURCE_ADDRESS,
      NetworkAttr.SOURCE_PORT,
      NetworkAttr.DESTINATION_ADDRESS,
      NetworkAttr.DESTINATION_PORT,
      NetworkAttr.TRANSPORT,
      ProvenanceAttr.SOURCE_FORMAT,
    ],
  },
  writes: {
    events: [],
    attributes: [
      ...PROCESS_KEYS,
      ProcessAttr.KERNEL_THREAD,
      AttributionAttr.METHOD,
      AttributionAttr.CONFIDENCE,
      AttributionAttr.CANDIDATES,
      AttributionAttr.REASON,
    ],
  },
};

/** The process-attribution processor. */
export class ProcessAttributionProcessor extends BaseProcessor<ProcessAttributionState> {
  private readonly config: ProcessAttributionConfig;
  /** The configured rules, in the order they are tried. */
  private readonly rules: readonly Rule[];
  /** The join, also the last try for a held record without a pid whatever the rules. */
  private readonly joinRule: JoinRule;
  /**
   * The query and attempt of the connection {@link attribute} works on: one of each, overwritten for every record
   * (the rules read them during the call and keep neither).
   */
  private query: Mutable<RuleQuery> | undefined;
  private readonly attempt = newAttempt();
  /** The sensor's own naming of the process, tried before the configured rules. */
  private readonly eventRule: Rule;
  private readonly table: ProcessTable;
  private readonly join: ConnectionJoinBuffer;
  private readonly procfs: ProcfsReader | undefined;
  private readonly sources: Sources;
  /** Whether the join rule is configured (else connection records are not buffered for it). */
  private readonly joins: boolean;
  private readonly waiting: HeldRecords;
  /** Records the timer took out of `waiting` and is about to emit (after hashing): still held until then. */
  private releasing = 0;
  /** Records attributed in this batch whose executable is to be hashed (hashing is the one asynchronous step). */
  private readonly hashes: HashQueue | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(config: ProcessAttributionConfig, context: ProcessorContext) {
    super(context, processAttributionState);
    this.config = config;
    this.joins = config.rules.includes('join');
    this.waiting = new HeldRecords({
      maxHeld: config.join.max_held,
      waitMs: config.join.wait_ms,
      maxWaitProcessingMs: config.join.max_wait_processing_ms,
    });
    this.sources = buildSources(config, context.now);
    ({ table: this.table, join: this.join, procfs: this.procfs } = this.sources);
    if (this.sources.hasher) {
      this.hashes = new HashQueue(this.sources.hasher, this.procfs?.root, this.sources.localHosts);
    }
    const rules = buildRules(config, this.sources);
    this.rules = rules.ordered;
    this.joinRule = rules.join;
    this.eventRule = rules.event;
  }

  protected override async processBatch(batch: PipelineRecord[]): Promise<PipelineRecord[]> {
    // First the records that feed state, whatever their place in the batch, so that a connection and the exec or
    // the other sensor's record it needs join in either order.
    // Exits after execs, so that an exit ahead of its exec in the batch still closes the right lifetime.
    const exits: PipelineRecord[] = [];
    for (const record of batch) {
      if (record.eventName === EventName.PROCESS_EXIT) exits.push(record);
      else this.learnSafely(record);
    }
    for (const record of exits) this.learnSafely(record);
    const out: PipelineRecord[] = [];
    for (const record of batch) {
      if (
        record.eventName !== EventName.CONNECTION ||
        record.attributes[AttributionAttr.METHOD] !== undefined
      ) {
        out.push(record);
        continue;
      }
      try {
        if (this.attribute(record) === 'done') out.push(record);
      } catch (cause) {
        this.report('attribution_failed', 'connection record passed on unattributed', cause);
        out.push(record);
      }
    }
    const released = this.releaseHeld('due');
    await this.hashPending();
    this.stats.count('process_table_expired', this.table.sweep());
    this.join.expire();
    return released.length > 0 ? released.concat(out) : out;
  }

  protected override async flushState(): Promise<PipelineRecord[]> {
    const out = this.releaseHeld('all');
    await this.hashPending();
    return out;
  }

  protected override snapshotState(): ProcessAttributionState {
    return snapshotOf(this.table, this.join, this.waiting.all);
  }

  protected override restoreState(state: ProcessAttributionState): void {
    this.waiting.load(restoreFrom(state, this.table, this.join));
    if (this.waiting.size > 0) this.ensureTimer();
  }

  protected override stateSize(): { entries: number; maxEntries: number } {
    return {
      entries: this.table.size + this.join.size + this.waiting.size,
      maxEntries:
        this.config.process_table.max_entries + this.config.join.max_buffered + this.config.join.max_held,
    };
  }

  protected override close(): void {
    this.stopTimer();
  }

  protected override heldRecords(): number {
    return this.waiting.size + this.releasing;
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  override counters() {
    // Counters kept by the library pieces are copied in when asked, so the hot path does not pay for them.
    for (const [name, total] of sourceCounters(this.sources))
      this.stats.count(name, total - this.stats.get(name));
    return super.counters();
  }

  private learnSafely(record: PipelineRecord): void {
    try {
      this.learn(record);
    } catch (cause) {
      this.report('malformed_record', `record ${String(record.eventName)} not learned`, cause);
    }
  }

  /** Feeds the process table (exec, exit) and the join buffer (connections that carried a pid). */
  private learn(record: PipelineRecord): void {
    const attrs = record.attributes;
    const host = hostName(record) ?? '';
    const timeMs = eventTimeMs(record);
    const skew = this.config.max_clock_skew_ms;
    if (timeMs !== undefined && skew > 0 && timeMs > this.context.now() + skew) {
      // One record from a host whose clock is far ahead would otherwise sweep that host's exited processes and
      // join candidates and release its held records at once.
      this.report(
        'future_event_time',
        `${String(record.eventName)} record of ${host || '(no host)'} dated ${new Date(timeMs).toISOString()}, more than ${skew} ms ahead of now: not used as the host's clock`,
      );
    } else if (timeMs !== undefined) {
      this.table.observe(host, timeMs);
      this.join.observe(host, timeMs);
    }
    if (record.eventName === EventName.CONNECTION) {
      const pid = processPid(attrs);
      if (this.joins && pid !== undefined && timeMs !== undefined) {
        this.joinRule.remember(record, host, timeMs, pid);
      }
      return;
    }
    const learned = learnProcessEvent(this.table, record, host, timeMs);
    if (learned.kind === 'malformed') this.report('malformed_record', learned.message);
    else if (learned.kind === 'exit_of_unknown_process') this.stats.count('exit_of_unknown_process');
  }

  /** Runs the rules over one connection record. */
  private attribute(record: PipelineRecord): 'done' | 'held' {
    const attrs = record.attributes;
    const host = hostName(record) ?? '';
    let timeMs = eventTimeMs(record);
    if (timeMs === undefined) {
      // Dated at the latest event time of its host (the clock the join buffer and table expire by), so that it
      // meets the same partners whatever the batches; the wall clock only for a host not heard from yet.
      this.stats.count('record_without_time');
      const watermark = this.join.watermark(host);
      timeMs = Number.isFinite(watermark) ? watermark : this.context.now();
    }
    const pid = processPid(attrs);
    if (pid === undefined && attrs[ProcessAttr.PID] !== undefined) {
      // pid 0 (the idle task: a connection seen in softirq or timer context) or a negative or unreadable value
      // names no process: it is dropped so that the process found by another rule can take its place, rather than
      // leaving a record with pid 0 and another process's executable.
      delete attrs[ProcessAttr.PID];
      this.stats.count('pid_not_a_process');
    }
    const local = this.isLocal(host, timeMs);
    const attempt = resetAttempt(this.attempt);
    const query = (this.query ??= { record, host, timeMs, pid, local });
    query.record = record;
    query.host = host;
    query.timeMs = timeMs;
    query.pid = pid;
    query.local = local;
    // The sensor's own naming first; a record that waits for its exec is not tried by the configured rules.
    let found = this.eventRule.attribute(query, attempt);
    if (!found && !attempt.tablePending) {
      for (const rule of this.rules) {
        found = rule.attribute(query, attempt);
        if (found) break;
      }
    }
    if (found) {
      this.finish(record, found, host);
      return 'done';
    }
    if ((attempt.joinPending && this.hasDestination(record)) || attempt.tablePending) {
      this.hold({
        record,
        host,
        timeMs,
        heldAtMs: this.context.now(),
        failure: attempt.failure,
        candidates: attempt.candidates,
      });
      return 'held';
    }
    this.unattributed(record, attempt.failure, attempt.candidates);
    return 'done';
  }

  private isLocal(host: string, timeMs: number): boolean {
    return (
      this.procfs !== undefined &&
      this.sources.localHosts.has(host) &&
      Math.abs(this.context.now() - timeMs) <= this.config.procfs.max_event_age_ms
    );
  }

  private hasDestination(record: PipelineRecord): boolean {
    return get(record.attributes, NetworkAttr.DESTINATION_ADDRESS) !== undefined;
  }

  /** Writes the method and confidence, marks kernel threads and missing executables, hashes when asked. */
  private finish(record: PipelineRecord, { method, confidence, live }: Attribution, host: string): void {
    this.stats.count(markAttributed(record, method, confidence, live));
    if (
      this.hashes &&
      record.attributes[ProcessAttr.EXECUTABLE_SHA256] === undefined &&
      !live?.kernelThread
    ) {
      this.hashes.add(record, host, live);
    }
  }

  /** Hashes the executables of the records attributed since the last call. */
  private async hashPending(): Promise<void> {
    await this.hashes?.drain();
  }

  private unattributed(record: PipelineRecord, failure: Reason | undefined, candidates?: number): void {
    this.stats.count(markUnattributed(record, failure, candidates));
  }

  private hold(held: Held): void {
    const oldest = this.waiting.makeRoom();
    if (oldest) {
      this.stats.count('join_hold_overflow');
      this.settle(oldest);
      this.emitLater([oldest.record]);
    }
    this.waiting.add(held);
    this.stats.count('join_held');
    this.ensureTimer();
  }

  /**
   * Retries the join for held records whose wait is over (the host's event time passed their time plus
   * `join.wait_ms`, or they waited `join.max_wait_processing_ms`), or for all of them (flush).
   */
  private releaseHeld(which: 'due' | 'all'): PipelineRecord[] {
    if (this.waiting.size === 0) return [];
    const due = this.waiting.takeDue(which, (host) => this.join.watermark(host), this.context.now());
    if (this.waiting.size === 0) this.stopTimer();
    const out: PipelineRecord[] = [];
    for (const h of due) {
      this.settle(h);
      out.push(h.record);
    }
    return out;
  }

  /**
   * Gives a held record its final attribution: a record with a pid from the table (its exec may have arrived while
   * it waited), else the join.
   */
  private settle(h: Held): void {
    const attrs = h.record.attributes;
    const pid = processPid(attrs);
    if (pid !== undefined) {
      const found = this.table.lookup(h.host, pid, h.timeMs, isoMs(get(attrs, ProcessAttr.CREATION_TIME)));
      const named =
        (get(attrs, ProcessAttr.EXECUTABLE_PATH) ?? get(attrs, ProcessAttr.EXECUTABLE_NAME)) !== undefined;
      if (found.kind === 'found') {
        fillFromEntry(h.record, found.entry);
        const confidence = named ? ATTRIBUTION_CONFIDENCE.EVENT : tableConfidence(found);
        this.finish(h.record, { method: AttributionMethod.EVENT, confidence }, h.host);
      } else if (named) {
        const confidence = ATTRIBUTION_CONFIDENCE.EVENT;
        this.finish(h.record, { method: AttributionMethod.EVENT, confidence }, h.host);
      } else {
        this.unattributed(h.record, found.kind === 'gone' ? AttributionReason.PROCESS_GONE : h.failure);
      }
      return;
    }
    const attempt = newAttempt(h.failure, h.candidates);
    const found = this.joinRule.match(h.record, h.host, h.timeMs, attempt);
    if (found) this.finish(h.record, found, h.host);
    else this.unattributed(h.record, attempt.failure, attempt.candidates);
  }

  private ensureTimer(): void {
    if (this.timer || this.isShutdown) return;
    const period = Math.min(this.config.join.max_wait_processing_ms, 1_000);
    this.timer = setInterval(() => {
      const records = this.releaseHeld('due');
      if (records.length === 0) return;
      this.releasing += records.length;
      const release = () => {
        this.releasing -= records.length;
        this.emitLater(records);
      };
      this.hashPending().then(release, (cause: unknown) => {
        this.report('hash_failed', 'released records passed on without hashes', cause);
        release();
      });
    }, period);
    this.timer.unref();
  }
}
