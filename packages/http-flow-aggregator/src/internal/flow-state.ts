/**
 * What the aggregator holds: per host, its watermark and its open window groups; per group, its keyed flows, at
 * most one overflow flow and the log of its flows' connections. Shared by the processor, the record building and the
 * snapshot code.
 *
 * A flow is the one object a key costs in a window. While it has few connections it logs them in its group's log
 * (`connection-log.ts`, 24 bytes each) and builds its aggregate from the log when it is emitted or saved; past
 * that, at a connection the log cannot hold, or at its first interim update, it builds its {@link FlowAggregate}
 * once, replaying the log into it, and keeps it. Both ways give the same aggregate, to the bit: the log keeps every
 * fact the aggregate reads, in order.
 */
import type { EventTimeWatermark } from '@egressguard/core';
import type { RecordAttributes, RecordResource, RecordScope } from '@egressguard/schema';

import { ConnectionFacts } from './connection-facts.ts';
import { EMPTY_LOG_REF, loggedCount, type ConnectionLog } from './connection-log.ts';
import { hash32 } from './distinct-counter.ts';
import { FlowAggregate, type FlowAggregateJSON, type FlowBounds } from './flow-aggregate.ts';
import { isKeyText, processIdentity, processKey } from './flow-key.ts';

/**
 * One key in one window: what its record carries, and its connections or their aggregate. Its name in its group (see
 * `flowId`) is the process identity its carried attributes give when the key is host and identity alone, as it is
 * by default; a flow of any other key is a {@link NamedFlow}, which holds its name. The host is the group's, so the
 * key text is held by neither. A flow does not hold its group either: what needs the group (its log, host, window)
 * is given it, by the code that found the flow in that group.
 */
export class Flow {
  /**
   * One more than {@link revision} times {@link REVISION_STEP}, plus {@link interims} times two, plus one while
   * {@link dirty}: three small facts in one field.
   */
  private marks = 1;
  readonly resource: RecordResource;
  readonly scope: RecordScope;
  readonly carried: RecordAttributes;
  /**
   * The connections so far: while few, the flow's reference into its group's log (`logRef`, a number); after that,
   * their aggregate.
   */
  private data: number | FlowAggregate = EMPTY_LOG_REF;

  protected constructor(resource: RecordResource, scope: RecordScope, carried: RecordAttributes) {
    this.resource = resource;
    this.scope = scope;
    this.carried = carried;
  }

  /**
   * A new flow named `id`, carrying `carried`: a flow whose name its carried attributes give, else a
   * {@link NamedFlow}.
   */
  static create(id: string, resource: RecordResource, scope: RecordScope, carried: RecordAttributes): Flow {
    return !isKeyText(id) && processIdentity(carried) === id
      ? new Flow(resource, scope, carried)
      : new NamedFlow(id, resource, scope, carried);
  }

  /** A restored flow: its aggregate as the snapshot has it. */
  static restored(
    id: string,
    resource: RecordResource,
    scope: RecordScope,
    carried: RecordAttributes,
    aggregate: FlowAggregate,
  ): Flow {
    const flow = Flow.create(id, resource, scope, carried);
    flow.data = aggregate;
    return flow;
  }

  /** The flow's name in its group: its process identity (see `flowId`). */
  get id(): string {
    return processIdentity(this.carried);
  }

  /** The last revision emitted, -1 before the first emission. */
  get revision(): number {
    return Math.floor(this.marks / REVISION_STEP) - 1;
  }

  set revision(revision: number) {
    this.marks = (revision + 1) * REVISION_STEP + (this.marks % REVISION_STEP);
  }

  /** Changed since the last emission. */
  get dirty(): boolean {
    return this.marks % 2 === 1;
  }

  set dirty(dirty: boolean) {
    this.marks = this.marks - (this.marks % 2) + (dirty ? 1 : 0);
  }

  /**
   * Interim updates emitted while the window was open (fewer than 2^20: `interim.max_per_window` is bounded); past
   * that, a declined window's marks (see {@link declineInterims}).
   */
  get interims(): number {
    return Math.floor((this.marks % REVISION_STEP) / 2);
  }

  set interims(interims: number) {
    const marks = this.marks;
    this.marks = marks - (marks % REVISION_STEP) + 2 * interims + (marks % 2);
  }

  /**
   * Fewer interim updates of this window: its consumer said they can fire nothing (see `declineInterims` of
   * `@egressguard/core`). For good (`untilMs` infinite): the count is set past any `interim.max_per_window`, so the
   * window makes no more. Until an event time: the count is kept, moved past the bound, and the window makes updates
   * again once a connection at or past `untilMs` is added (see {@link mayUpdate}); not declined when its last
   * connection is there already. `false` when nothing more was declined.
   */
  declineInterims(untilMs: number): boolean {
    const interims = this.interims;
    if (interims === INTERIMS_DECLINED) return false;
    if (untilMs === Number.POSITIVE_INFINITY) {
      declinedUntil.delete(this);
      this.interims = INTERIMS_DECLINED;
      return true;
    }
    const data = this.data;
    // Declined until a time already, or its last connection is past it: the next update may be of use.
    if (interims >= INTERIMS_DECLINED_UNTIL || typeof data === 'number' || data.lastSeenMs >= untilMs)
      return false;
    declinedUntil.set(this, untilMs);
    this.interims = INTERIMS_DECLINED_UNTIL + interims;
    return true;
  }

  /**
   * Whether this window may make another interim update, at most `max` (`interim.max_per_window`) of them: not when
   * declined for good; when declined until an event time, again once its last connection is at or past it (the
   * decline ends then, and the count goes on from where it was). A restored window declined until a time, whose time
   * the snapshot does not keep, makes updates again.
   */
  mayUpdate(max: number): boolean {
    const interims = this.interims;
    if (interims < max) return true;
    if (interims < INTERIMS_DECLINED_UNTIL || interims === INTERIMS_DECLINED) return false;
    const until = declinedUntil.get(this);
    const data = this.data;
    if (until !== undefined && typeof data !== 'number' && data.lastSeenMs < until) return false;
    declinedUntil.delete(this);
    this.interims = interims - INTERIMS_DECLINED_UNTIL;
    return this.interims < max;
  }

  /** The key as `egressguard.flow.key` writes it, compact JSON, of this flow of `group`. */
  keyIn(group: WindowGroup): string {
    const id = this.id;
    return isKeyText(id) ? id : processKey(group.host, id);
  }

  /** Connections added so far. */
  get connections(): number {
    const data = this.data;
    return typeof data === 'number' ? loggedCount(data) : data.connections;
  }

  /** Adds one HTTP connection to this flow of `group`. */
  add(f: ConnectionFacts, bounds: FlowBounds, group: WindowGroup): void {
    let data = this.data;
    if (typeof data === 'number') {
      const ref = group.log.append(data, f, group.start);
      if (ref >= 0) {
        this.data = ref;
        return;
      }
      this.data = data = this.replay(data, bounds, group);
    }
    data.add(f);
  }

  /**
   * Writes the `egressguard.flow.*` aggregate attributes of this flow of `group` into `out`. A flow still logging
   * builds its aggregate from the log for this; with `keep`, it keeps it and logs no more: interim updates come one
   * per connection, and building the aggregate again for each would cost more than holding it.
   */
  writeAggregates(out: RecordAttributes, bounds: FlowBounds, keep: boolean, group: WindowGroup): void {
    let data = this.data;
    if (typeof data === 'number') {
      data = this.replay(data, bounds, group);
      if (keep) this.data = data;
    }
    data.writeAttributes(out);
  }

  /** The aggregate of this flow of `group` as the snapshot carries it. */
  aggregateJSON(bounds: FlowBounds, group: WindowGroup): FlowAggregateJSON {
    const data = this.data;
    return (typeof data === 'number' ? this.replay(data, bounds, group) : data).toJSON();
  }

  /**
   * Approximate bytes held: this object, its aggregate, its carried attributes and their strings (its logged
   * connections are its group's log's).
   */
  get bytes(): number {
    const data = this.data;
    let bytes = FLOW_BYTES + (typeof data === 'number' ? 0 : data.bytes);
    let carried = 0;
    for (const name in this.carried) {
      const value = this.carried[name];
      // Names are the schema's constants, shared; values are the first connection's, held by this flow.
      carried++;
      if (typeof value === 'string') bytes += stringBytes(value);
    }
    // The carried dictionary holds as many attributes inside as the first flows' did (see `carriedAttributes`).
    return bytes + 24 + 8 * carried;
  }

  /** The aggregate of the logged connections: the aggregate adding them as they came would have built. */
  private replay(ref: number, bounds: FlowBounds, group: WindowGroup): FlowAggregate {
    // The byte sample's seed is the key's and the window's, whenever the aggregate is built.
    const agg = new FlowAggregate(bounds, hash32(`${this.keyIn(group)}\u0000${group.start}`));
    group.log.replay(ref, group.start, agg, new ConnectionFacts());
    return agg;
  }
}

/** A flow object: 5 fields. */
const FLOW_BYTES = 24 + 8 * 5;

/** A flow whose name is not the process identity its carried attributes give: the key's JSON text, or an overflow key. */
class NamedFlow extends Flow {
  private readonly name: string;

  constructor(name: string, resource: RecordResource, scope: RecordScope, carried: RecordAttributes) {
    super(resource, scope, carried);
    this.name = name;
  }

  override get id(): string {
    return this.name;
  }

  /** As a flow's, and its name: a field and its string. */
  override get bytes(): number {
    return super.bytes + 8 + stringBytes(this.name);
  }
}

/** The revision's place in a flow's marks: past twice the most interim updates a window may have. */
const REVISION_STEP = 2 ** 22;

/** A flow's interim count when declined for good: the largest the marks hold, past `interim.max_per_window`'s bound (1,000,000). */
const INTERIMS_DECLINED = REVISION_STEP / 2 - 1;

/**
 * Added to a flow's interim count while it is declined until an event time: past `interim.max_per_window`'s bound
 * (1,000,000), and with the count added, still below {@link INTERIMS_DECLINED}.
 */
const INTERIMS_DECLINED_UNTIL = 2 ** 20;

/** The event time each flow declined until a time is declined until; few flows have one at a time. */
const declinedUntil = new WeakMap<Flow, number>();

/** Approximate bytes of a string held on its own (one byte a character, as V8 keeps Latin-1 text). */
function stringBytes(text: string): number {
  return 16 + 8 * Math.ceil(text.length / 8);
}

/** The flows of one host in one window. */
export interface WindowGroup {
  readonly host: string;
  readonly start: number;
  readonly end: number;
  /** The host's watermark has passed the end: changes are emitted as corrections. */
  due: boolean;
  readonly flows: Map<string, Flow>;
  overflow: Flow | undefined;
  /** The connections its flows logged. */
  readonly log: ConnectionLog;
}

/** One host: its watermark, its clock and its open window groups by start. */
export interface HostState {
  readonly name: string;
  readonly watermark: EventTimeWatermark;
  /** Largest real event time seen (the watermark may run ahead of it on the idle timer). */
  maxEventMs: number;
  /** Processing time of the host's last record. */
  lastArrivalMs: number;
  readonly groups: Map<number, WindowGroup>;
  /** The group a record of this host last went to: the next record's, mostly, found without a lookup. */
  lastGroup: WindowGroup | undefined;
  /** The watermark value at which the processor's `advance` has something to do. */
  nextCheckMs: number;
}
