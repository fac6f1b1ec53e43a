/**
 * The novelty filter: for each `egressguard.http_flow` (and, by default, `egressguard.connection`) record, decides
 * whether the process identity is new, rare, known or allowlisted, and whether its executable is custom, and
 * remembers it. "Custom or previously unseen userland processes" is the half of AN0145 this stage answers; the
 * ratio detector after it answers "many connections, little data back".
 */
import { accessSync, constants as fsConstants } from 'node:fs';
import { hostname } from 'node:os';
import { delimiter, join } from 'node:path';

import {
  BaseProcessor,
  ConfigError,
  noteLearningEnd,
  type Mutable,
  type ProcessorContext,
  type ProcessorDescription,
  type StateSize,
} from '@egressguard/core';
import {
  EventName,
  FlowAttr,
  NoveltyAttr,
  NoveltyStatus,
  ProcessAttr,
  eventTimeMs,
  getBool,
  getInt,
  getString,
  hostName,
  setIfAbsent,
  type NoveltyStatusValue,
  type PipelineRecord,
} from '@egressguard/schema';

import type { NoveltyFilterConfig } from './config.ts';
import { Allowlist } from './internal/allowlist.ts';
import { Baseline, type Sighting } from './internal/baseline.ts';
import { BUILTIN_ALLOWLIST } from './internal/builtin-allowlist.ts';
import { CustomExecutableChecker, type CustomCheckResult } from './internal/custom-checker.ts';
import { DpkgDatabase } from './internal/dpkg-database.ts';
import { IdentityBuilder, type IdentityInput } from './internal/identity.ts';
import { Inventory } from './internal/inventory.ts';
import type { PackageDatabase } from './internal/package-database.ts';
import { RpmDatabase } from './internal/rpm-database.ts';
import { noveltyFilterState, type NoveltyFilterState } from './internal/state.ts';

/** The counter of each status, and the drop reason of each, named once instead of at every record. */
const STATUS_COUNTERS: Readonly<Record<NoveltyStatusValue, string>> = {
  new: 'status_new',
  rare: 'status_rare',
  known: 'status_known',
  allowlisted: 'status_allowlisted',
};
const DROP_REASONS: Readonly<Record<NoveltyStatusValue, string>> = {
  new: 'novelty_new',
  rare: 'novelty_rare',
  known: 'novelty_known',
  allowlisted: 'novelty_allowlisted',
};

/** What the novelty filter is, reads and writes. */
export const noveltyFilterDescription: ProcessorDescription = {
  type: 'novelty_filter',
  description:
    'Keeps a first-seen baseline of process identities (normalised executable path, user class, per host) and marks each flow or connection new, rare, known or allowlisted, and custom with its reasons.',
  stability: 'alpha',
  reads: {
    events: [EventName.HTTP_FLOW, EventName.CONNECTION],
    attributes: [
      ProcessAttr.EXECUTABLE_PATH,
      ProcessAttr.EXECUTABLE_NAME,
      ProcessAttr.EXECUTABLE_SHA256,
      ProcessAttr.EXECUTABLE_DELETED,
      ProcessAttr.USER_ID,
      ProcessAttr.OWNER,
      ProcessAttr.CONTAINER_ID,
      ProcessAttr.KERNEL_THREAD,
      FlowAttr.LAST_SEEN,
      FlowAttr.WINDOW_END,
      FlowAttr.REVISION,
      FlowAttr.INTERIM,
    ],
  },
  writes: {
    events: [],
    attributes: [
      NoveltyAttr.STATUS,
      NoveltyAttr.IDENTITY,
      NoveltyAttr.FIRST_SEEN,
      NoveltyAttr.SEEN_COUNT,
      NoveltyAttr.SEEN_DAYS,
      NoveltyAttr.SEEN_INTERVALS,
      NoveltyAttr.LEARNING,
      NoveltyAttr.CUSTOM,
      NoveltyAttr.CUSTOM_REASONS,
      NoveltyAttr.ALLOWLIST_ENTRY,
    ],
  },
};

/** What the filter decided about one record. */
interface Decision {
  readonly status: NoveltyStatusValue;
  readonly custom: boolean;
}

function onPath(command: string): boolean {
  if (command.includes('/')) return isExecutable(command);
  return (process.env.PATH ?? '')
    .split(delimiter)
    .some((dir) => dir !== '' && isExecutable(join(dir, command)));
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The novelty filter processor; create it through `noveltyFilterFactory`. */
export class NoveltyFilterProcessor extends BaseProcessor<NoveltyFilterState> {
  private readonly config: NoveltyFilterConfig;
  private readonly eventNames: ReadonlySet<string>;
  private readonly annotatedNames: ReadonlySet<string>;
  private readonly identities: IdentityBuilder;
  /** What `annotate` asks the identity of, one object for every record (the builder keeps nothing of it). */
  private readonly identityInput: Mutable<IdentityInput> = {
    host: undefined,
    path: undefined,
    name: undefined,
    sha256: undefined,
    uid: undefined,
    owner: undefined,
  };
  private readonly baseline: Baseline;
  private readonly allowlist: Allowlist;
  private readonly checker: CustomExecutableChecker;
  private readonly packages: PackageDatabase | undefined;
  private readonly localHost: string;
  private reportedEvictions = 0;
  /** In drop mode, the records of the batch being processed that are kept. */
  private readonly kept: PipelineRecord[] = [];

  constructor(config: NoveltyFilterConfig, context: ProcessorContext) {
    // The state definition of this configuration: its version 1 migration reads mature_interval_ms.
    super(context, noveltyFilterState(config));
    this.config = config;
    this.eventNames = new Set(config.event_names);
    this.annotatedNames = new Set(config.annotate_event_names);
    this.identities = new IdentityBuilder({
      parts: config.identity_parts,
      scope: config.identity_scope,
      regularUidMin: config.regular_uid_min,
    });
    this.baseline = new Baseline({
      maxIdentities: config.max_identities,
      historyMs: config.history_ms,
      learningPeriodMs: config.learning_period_ms,
      rareMinCount: config.rare_min_count,
      matureSpanMs: config.mature_span_ms,
      matureIntervalMs: config.mature_interval_ms,
      matureMinIntervals: config.mature_min_intervals,
    });
    try {
      this.allowlist = new Allowlist(
        [
          { prefix: 'user', entries: config.allowlist },
          ...(config.use_builtin_allowlist ? [{ prefix: 'builtin', entries: BUILTIN_ALLOWLIST }] : []),
        ],
        { nameOnlyWhenPathUnknown: config.name_only_when_path_unknown },
      );
    } catch (cause) {
      throw new ConfigError([{ path: 'allowlist', message: (cause as Error).message }]);
    }
    this.packages = this.openPackageDatabase();
    let inventory: Inventory | undefined;
    if (config.inventory_file !== null) {
      try {
        inventory = Inventory.load(config.inventory_file);
      } catch (cause) {
        throw new ConfigError([{ path: 'inventory_file', message: (cause as Error).message }]);
      }
    }
    this.checker = new CustomExecutableChecker({
      packages: this.packages,
      inventory,
      maxCachedStats: config.max_cached_lookups,
    });
    this.localHost = config.local_host_name ?? hostname();
  }

  private openPackageDatabase(): PackageDatabase | undefined {
    const c = this.config;
    const onProblem = (reason: string, message: string, cause?: unknown) =>
      this.report(reason, message, cause);
    const dpkg = () => new DpkgDatabase({ root: c.dpkg_root, maxPaths: c.max_owned_paths, onProblem });
    const rpm = () => new RpmDatabase({ command: c.rpm_command, maxCached: c.max_cached_lookups, onProblem });
    switch (c.package_database) {
      case 'none':
        return undefined;
      case 'dpkg':
        if (!DpkgDatabase.existsAt(c.dpkg_root)) {
          throw new ConfigError([
            { path: 'dpkg_root', message: `no dpkg database at ${join(c.dpkg_root, 'var/lib/dpkg/info')}` },
          ]);
        }
        return dpkg();
      case 'rpm':
        if (!onPath(c.rpm_command))
          throw new ConfigError([
            { path: 'rpm_command', message: `${c.rpm_command} is not an executable on PATH` },
          ]);
        return rpm();
      case 'auto':
        if (DpkgDatabase.existsAt(c.dpkg_root)) return dpkg();
        if (onPath(c.rpm_command)) return rpm();
        return undefined;
    }
  }

  protected override processBatch(batch: PipelineRecord[]): PipelineRecord[] | Promise<PipelineRecord[]> {
    return this.decideFrom(batch, 0);
  }

  /**
   * Decides the records of the batch from `from` on, one after the other, in order. A decision that needs this
   * machine's file system (a package lookup, a directory mode) is awaited and the rest follow it; every other one is
   * made without a promise.
   */
  private decideFrom(batch: PipelineRecord[], from: number): PipelineRecord[] | Promise<PipelineRecord[]> {
    for (let i = from; i < batch.length; i++) {
      const decision = this.decide(batch[i]);
      if (decision instanceof Promise) {
        return decision.then((decided) => {
          this.applyAction(batch[i], decided);
          return this.decideFrom(batch, i + 1);
        });
      }
      this.applyAction(batch[i], decision);
    }
    return this.finishBatch(batch);
  }

  /** In drop mode, keeps or drops a decided record (in annotate mode every record passes). */
  private applyAction(record: PipelineRecord, decision: Decision | undefined): void {
    const action = this.config.action;
    if (action.mode !== 'drop') return;
    if (
      decision !== undefined &&
      (action.statuses as readonly string[]).includes(decision.status) &&
      !(action.keep_custom && decision.custom)
    ) {
      this.stats.drop(DROP_REASONS[decision.status]);
    } else {
      this.kept.push(record);
    }
  }

  private finishBatch(batch: PipelineRecord[]): PipelineRecord[] {
    this.noteEvictions();
    if (this.config.action.mode !== 'drop') return batch;
    return this.kept.splice(0, this.kept.length);
  }

  /** Decides one record; `undefined` when it is not the filter's or cannot be identified. Never throws. */
  private decide(record: PipelineRecord): Decision | undefined | Promise<Decision | undefined> {
    if (record.eventName === undefined || !this.eventNames.has(record.eventName)) return undefined;
    try {
      const decision = this.annotate(record);
      return decision instanceof Promise
        ? decision.catch((cause: unknown) => this.failed(record, cause))
        : decision;
    } catch (cause) {
      return this.failed(record, cause);
    }
  }

  private failed(record: PipelineRecord, cause: unknown): undefined {
    this.report('record_failed', `${record.eventName} record passed on unannotated`, cause);
    return undefined;
  }

  /**
   * Learns from one record and, when its event name is annotated (or the action may drop it), decides its status and
   * whether it is custom; `undefined` when it cannot be identified (counted and reported) or needs no decision.
   */
  private annotate(record: PipelineRecord): Decision | undefined | Promise<Decision | undefined> {
    const attrs = record.attributes;
    if (getBool(attrs, ProcessAttr.KERNEL_THREAD) === true) {
      this.stats.count('kernel_thread');
      return undefined;
    }
    const host = hostName(record);
    const path = getString(attrs, ProcessAttr.EXECUTABLE_PATH);
    const name = getString(attrs, ProcessAttr.EXECUTABLE_NAME);
    const sha256 = getString(attrs, ProcessAttr.EXECUTABLE_SHA256);
    const input = this.identityInput;
    input.host = host;
    input.path = path;
    input.name = name;
    input.sha256 = sha256;
    input.uid = getInt(attrs, ProcessAttr.USER_ID);
    input.owner = getString(attrs, ProcessAttr.OWNER);
    const identity = this.identities.build(input);
    if (identity === undefined) {
      const missing =
        path === undefined && name === undefined ? 'process.executable.path and .name' : 'resource host.name';
      this.report(
        'unidentified_record',
        `${record.eventName} record lacks ${missing}; passed on unannotated`,
      );
      return undefined;
    }
    // Flows are dated by their last connection (else the last instant of their window), so that a replay of old
    // files builds the baseline in the order it lived. Not by the window end itself: it is exclusive, and the last
    // window of a UTC day ends at the next midnight, which would count that day's sighting on the next day.
    const windowEnd = getInt(attrs, FlowAttr.WINDOW_END);
    let timeMs =
      getInt(attrs, FlowAttr.LAST_SEEN) ?? (windowEnd !== undefined ? windowEnd - 1 : eventTimeMs(record));
    if (timeMs === undefined) {
      this.report('missing_event_time', `${record.eventName} record has no time; passed on unannotated`);
      return undefined;
    }
    const skew = this.config.max_clock_skew_ms;
    if (skew > 0 && timeMs > this.context.now() + skew) {
      // The baseline's clock is the largest event time it saw: one record from a host whose clock is years ahead
      // would expire every identity at the next save and misplace the learning period.
      this.report(
        'future_event_time',
        `${record.eventName} record of ${host} dated ${new Date(timeMs).toISOString()}, more than ${skew} ms ahead of now; counted at now + ${skew} ms`,
      );
      timeMs = this.context.now() + skew;
    }
    // A revised window (revision ≥ 1) is the same sighting as its first emission, and an interim update of an open
    // window is part of the window record still to come: neither counts again.
    const isFlow = record.eventName === EventName.HTTP_FLOW;
    const revision = isFlow ? getInt(attrs, FlowAttr.REVISION) : undefined;
    const interim = isFlow && getBool(attrs, FlowAttr.INTERIM) === true;
    const count = !interim && (revision === undefined || revision === 0);
    const annotated = this.annotatedNames.has(record.eventName!);
    // Learned from, not annotated (a connection, by default): nothing more to decide unless the action may drop it.
    if (!annotated && this.config.action.mode !== 'drop') {
      this.baseline.learn(identity, timeMs, count);
      return undefined;
    }
    const sighting = this.baseline.observe(identity, timeMs, count);

    const containerId = getString(attrs, ProcessAttr.CONTAINER_ID);
    const check = this.config.check_local_files;
    // The package database and file modes read here are this machine's, and a container has its own filesystem.
    const local =
      check === true || (check === 'auto' && host === this.localHost && containerId === undefined);
    const custom = this.checker.check({
      path,
      sha256,
      deleted: getBool(attrs, ProcessAttr.EXECUTABLE_DELETED),
      host,
      local,
    });
    const executable = { path, name, sha256 };
    if (custom instanceof Promise) {
      return custom.then((result) =>
        this.decided(record, result, identity, sighting, executable, annotated, local),
      );
    }
    return this.decided(record, custom, identity, sighting, executable, annotated, local);
  }

  /** The status of a record whose custom check is done, written to it when its event name is annotated. */
  private decided(
    record: PipelineRecord,
    result: CustomCheckResult,
    identity: string,
    sighting: Sighting,
    executable: { readonly path?: string; readonly name?: string; readonly sha256?: string },
    annotated: boolean,
    local: boolean,
  ): Decision {
    if (result.packageUnknown && executable.path !== undefined)
      this.stats.count(local ? 'package_ownership_unknown' : 'package_check_not_local');
    const allow = this.allowlist.match(executable);
    const status: NoveltyStatusValue = allow !== undefined ? NoveltyStatus.ALLOWLISTED : sighting.status;
    this.stats.count(STATUS_COUNTERS[status]);
    if (!annotated) return { status, custom: result.custom };
    // A record an earlier stage answered for keeps that answer (each attribute is written only when absent).
    const answered = record.attributes[NoveltyAttr.STATUS] !== undefined;
    setIfAbsent(record, NoveltyAttr.STATUS, status);
    setIfAbsent(record, NoveltyAttr.IDENTITY, identity);
    setIfAbsent(record, NoveltyAttr.FIRST_SEEN, Math.floor(sighting.firstSeenMs));
    setIfAbsent(record, NoveltyAttr.SEEN_COUNT, sighting.count);
    setIfAbsent(record, NoveltyAttr.SEEN_DAYS, sighting.days);
    setIfAbsent(record, NoveltyAttr.SEEN_INTERVALS, sighting.intervals);
    setIfAbsent(record, NoveltyAttr.LEARNING, sighting.learning);
    setIfAbsent(record, NoveltyAttr.CUSTOM, result.custom);
    if (result.reasons.length > 0) setIfAbsent(record, NoveltyAttr.CUSTOM_REASONS, [...result.reasons]);
    if (allow !== undefined) setIfAbsent(record, NoveltyAttr.ALLOWLIST_ENTRY, allow.id);
    // Until the learning period ends, the rest of this answer holds for the window's later records when the custom
    // verdict read none of this machine's files (package database, directory modes, which can change): it rests on
    // the path, digest and deleted mark the window's records all carry alike, and on the inventory and allowlist,
    // read once. A consumer of interim updates may decline them until then (`noteLearningEnd`). Not of an answer this
    // filter did not write.
    if (sighting.learning && !local && !answered) {
      const endMs = this.baseline.learningEndMs;
      if (endMs !== undefined) noteLearningEnd(record, endMs);
    }
    return { status, custom: result.custom };
  }

  private noteEvictions(): void {
    const evictions = this.baseline.evictions;
    if (evictions === this.reportedEvictions) return;
    this.stats.count('identities_evicted', evictions - this.reportedEvictions);
    if (this.reportedEvictions === 0) {
      this.report(
        'baseline_full',
        `the baseline reached max_identities=${this.config.max_identities}; the least recently seen identities are evicted and will look new again`,
      );
    }
    this.reportedEvictions = evictions;
  }

  protected override snapshotState(): NoveltyFilterState {
    // Identities unseen for longer than the history would be new at their next sighting anyway: purging them before
    // a snapshot keeps memory and snapshots to the live baseline without changing any decision.
    const watermark = this.baseline.watermarkMs;
    if (watermark !== undefined) {
      const expired = this.baseline.expire(watermark);
      if (expired > 0) this.stats.count('identities_expired', expired);
    }
    return { baseline: this.baseline.toJSON() };
  }

  /** Restores a snapshot the runtime validated (and migrated from version 1) with the state definition. */
  protected override restoreState(state: NoveltyFilterState): void {
    this.baseline.restore(state.baseline);
    this.reportedEvictions = this.baseline.evictions;
  }

  protected override stateSize(): StateSize {
    return {
      entries: this.baseline.size,
      bytes: this.baseline.estimateBytes(),
      maxEntries: this.config.max_identities,
    };
  }
}
