import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import {
  ConfigError,
  getErrorHandler,
  learningEndOf,
  setErrorHandler,
  stderrErrorHandler,
  type Processor,
  type ProcessorSnapshot,
  type ReportedError,
} from '@egressguard/core';
import { makeConnection, makeRecord } from '@egressguard/core/testing';
import {
  EventName,
  FlowAttr,
  NoveltyAttr,
  ProcessAttr,
  type PipelineRecord,
  type RecordAttributes,
} from '@egressguard/schema';

import { noveltyFilterFactory } from '../src/index.ts';

const DAY = 86_400_000;
const T0 = Date.UTC(2025, 10, 1);
const scratch = mkdtempSync(join(tmpdir(), 'novelty-proc-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** The tests that look executables up in this machine's dpkg database skip where there is none. */
const NO_DPKG = existsSync('/var/lib/dpkg/info') ? false : 'no dpkg database here';

/** A copy of the packaged `/usr/bin/env` in a directory of its own: the same bytes, owned by no package. */
function unpackagedEnv(prefix: string): string {
  const copy = join(mkdtempSync(join(scratch, prefix)), 'env');
  copyFileSync('/usr/bin/env', copy);
  return copy;
}

function create(raw: Record<string, unknown> = {}, now: () => number = () => T0): Processor {
  // The fixed clock sits at T0 while the records walk days past it: the clock-skew bound is off unless a test sets it.
  // Connections are annotated too, so that a test can use the shorter record (the default annotates flows only;
  // its own test says what happens to connections then).
  const config = noveltyFilterFactory.config.parse({
    package_database: 'none',
    max_clock_skew_ms: 0,
    annotate_event_names: [EventName.HTTP_FLOW, EventName.CONNECTION],
    ...raw,
  });
  return noveltyFilterFactory.create(config, { id: 'novelty_filter/test', now });
}

/** An http_flow record as the aggregator writes it: the key's process attributes and the window. */
function flow(
  process: RecordAttributes,
  endMs: number,
  extra: RecordAttributes = {},
  host = 'web-1',
): PipelineRecord {
  return makeRecord(
    EventName.HTTP_FLOW,
    {
      ...process,
      [FlowAttr.KEY]: `${host}|${String(process[ProcessAttr.EXECUTABLE_PATH])}`,
      [FlowAttr.WINDOW_START]: endMs - 300_000,
      [FlowAttr.WINDOW_END]: endMs,
      [FlowAttr.CONNECTIONS]: 20,
      ...extra,
    },
    { timeMs: endMs, host },
  );
}

const implant = {
  [ProcessAttr.EXECUTABLE_PATH]: '/tmp/.x/kworkerd',
  [ProcessAttr.EXECUTABLE_NAME]: 'kworkerd',
  [ProcessAttr.USER_ID]: 1000,
};

async function one(p: Processor, record: PipelineRecord): Promise<RecordAttributes> {
  const [out] = await p.process([record]);
  assert.ok(out, 'the record passes on');
  return out.attributes;
}

describe('novelty filter', () => {
  it('by default learns from a connection without annotating it, and annotates flows', async () => {
    const p = noveltyFilterFactory.create(
      noveltyFilterFactory.config.parse({ package_database: 'none', max_clock_skew_ms: 0 }),
      { id: 'novelty_filter/test', now: () => T0 },
    );
    const connection = makeConnection(implant, { timeMs: T0 + DAY + 1_000, host: 'web-1' });
    const before = { ...connection.attributes };
    const [out] = await p.process([connection]);
    assert.equal(out, connection, 'the connection passes on');
    assert.deepEqual(out.attributes, before, 'unchanged: no novelty attribute on it');
    const annotated = await one(
      p,
      flow(implant, T0 + DAY + 300_000, { [FlowAttr.LAST_SEEN]: T0 + DAY + 2_000 }),
    );
    assert.equal(annotated[NoveltyAttr.SEEN_COUNT], 2, "the connection's sighting counted in the baseline");
    assert.equal(annotated[NoveltyAttr.FIRST_SEEN], T0 + DAY + 1_000, 'first seen at the connection');
    assert.equal(annotated[NoveltyAttr.IDENTITY], 'host=web-1|path=/tmp/.x/kworkerd|user=user');
    await p.shutdown();
  });

  it('learns, then walks an identity through new → rare → known, by event time', async () => {
    const p = create({
      learning_period_ms: DAY,
      rare_min_count: 3,
      mature_span_ms: 0,
      mature_interval_ms: DAY,
      mature_min_intervals: 2,
    });
    const learning = await one(
      p,
      flow({ [ProcessAttr.EXECUTABLE_PATH]: '/usr/bin/curl', [ProcessAttr.USER_ID]: 0 }, T0),
    );
    assert.equal(learning[NoveltyAttr.LEARNING], true);
    assert.equal(learning[NoveltyAttr.STATUS], 'rare', 'nothing is new during the learning period');

    const first = await one(p, flow(implant, T0 + DAY + 300_000));
    assert.equal(first[NoveltyAttr.STATUS], 'new');
    assert.equal(first[NoveltyAttr.LEARNING], false);
    assert.equal(first[NoveltyAttr.IDENTITY], 'host=web-1|path=/tmp/.x/kworkerd|user=user');
    assert.equal(
      first[NoveltyAttr.FIRST_SEEN],
      T0 + DAY + 300_000 - 1,
      'without a last-seen time, first seen is the last instant of the window (its end is exclusive)',
    );
    assert.equal(first[NoveltyAttr.SEEN_COUNT], 1);
    assert.equal(first[NoveltyAttr.CUSTOM], true);
    assert.deepEqual(first[NoveltyAttr.CUSTOM_REASONS], ['temporary_directory', 'hidden_directory']);

    const revised = await one(p, flow(implant, T0 + DAY + 300_000, { [FlowAttr.REVISION]: 1 }));
    assert.equal(revised[NoveltyAttr.SEEN_COUNT], 1, 'a revised window is not a new sighting');
    const interim = await one(p, flow(implant, T0 + DAY + 300_000, { [FlowAttr.INTERIM]: true }));
    assert.equal(interim[NoveltyAttr.SEEN_COUNT], 1, 'an interim update of an open window is not a sighting');
    assert.equal(interim[NoveltyAttr.STATUS], 'rare', 'but it is annotated like its window');

    assert.equal((await one(p, flow(implant, T0 + DAY + 600_000)))[NoveltyAttr.STATUS], 'rare');
    assert.equal(
      (await one(p, flow(implant, T0 + DAY + 900_000)))[NoveltyAttr.STATUS],
      'rare',
      'three times but on one day',
    );
    const known = await one(p, flow(implant, T0 + 2 * DAY + 300_000));
    assert.equal(known[NoveltyAttr.STATUS], 'known');
    assert.equal(known[NoveltyAttr.SEEN_DAYS], 2);
    assert.equal(known[NoveltyAttr.FIRST_SEEN], T0 + DAY + 300_000 - 1);

    // On another host the same executable is new: identities are per host by default.
    const elsewhere = await one(p, flow(implant, T0 + 2 * DAY + 300_000, {}, 'web-2'));
    assert.equal(elsewhere[NoveltyAttr.STATUS], 'new');
    await p.shutdown();
  });

  it('counts a window ending at UTC midnight on the day its connections happened', async () => {
    const p = create({
      learning_period_ms: 0,
      rare_min_count: 1,
      mature_span_ms: 0,
      mature_interval_ms: DAY,
      mature_min_intervals: 2,
    });
    const midnight = T0 + DAY;
    // 23:50–00:00: the window ends (exclusively) at midnight; its last connection was at 23:59:45.
    const lateEvening = await one(p, flow(implant, midnight, { [FlowAttr.LAST_SEEN]: midnight - 15_000 }));
    assert.equal(lateEvening[NoveltyAttr.FIRST_SEEN], midnight - 15_000, 'dated by its last connection');
    // 00:00–00:05 the next day.
    const nextDay = await one(
      p,
      flow(implant, midnight + 300_000, { [FlowAttr.LAST_SEEN]: midnight + 200_000 }),
    );
    assert.equal(nextDay[NoveltyAttr.SEEN_DAYS], 2, 'seen before and after midnight: two days');
    assert.equal(nextDay[NoveltyAttr.STATUS], 'known');
    // A flow without a last-seen time falls back to the last instant of its window.
    const q = create({
      learning_period_ms: 0,
      rare_min_count: 1,
      mature_span_ms: 0,
      mature_interval_ms: DAY,
      mature_min_intervals: 2,
    });
    await one(q, flow(implant, midnight));
    assert.equal((await one(q, flow(implant, midnight + 300_000)))[NoveltyAttr.SEEN_DAYS], 2);
    await p.shutdown();
    await q.shutdown();
  });

  it('forgets identities unseen for history_ms', async () => {
    const p = create({
      learning_period_ms: 0,
      history_ms: 2 * DAY,
      rare_min_count: 1,
      mature_span_ms: 0,
      mature_min_intervals: 1,
    });
    assert.equal(
      (await one(p, makeConnection(implant, { timeMs: T0, host: 'web-1' })))[NoveltyAttr.STATUS],
      'new',
    );
    assert.equal(
      (await one(p, makeConnection(implant, { timeMs: T0 + 2 * DAY, host: 'web-1' })))[NoveltyAttr.STATUS],
      'known',
    );
    const back = await one(p, makeConnection(implant, { timeMs: T0 + 4 * DAY + 1, host: 'web-1' }));
    assert.equal(back[NoveltyAttr.STATUS], 'new');
    assert.equal(back[NoveltyAttr.FIRST_SEEN], T0 + 4 * DAY + 1);
    await p.shutdown();
  });

  it('keeps the baseline across a restart through snapshot and restore, and writes no file of its own', async () => {
    const config = { learning_period_ms: 0 };
    const a = create(config);
    assert.equal((await one(a, flow(implant, T0)))[NoveltyAttr.STATUS], 'new');
    await a.process([flow(implant, T0 + 300_000)]);
    await a.process([flow(implant, T0 + 600_000)]);
    // The runtime owns persistence: it takes the snapshot (plain JSON) and writes it with its checkpoint.
    const saved = JSON.parse(JSON.stringify(a.snapshot())) as ProcessorSnapshot & {
      baseline: { entries: unknown[][] };
    };
    await a.shutdown();
    assert.equal(saved.version, 2);
    assert.equal(saved.baseline.entries[0][3], 3, 'the snapshot holds the latest count');

    const b = create(config);
    b.restore(saved);
    const again = await one(b, flow(implant, T0 + 900_000));
    assert.equal(again[NoveltyAttr.STATUS], 'rare', 'the restored instance remembers the identity');
    assert.equal(again[NoveltyAttr.SEEN_COUNT], 4);
    assert.equal(again[NoveltyAttr.FIRST_SEEN], T0 - 1);
    await b.shutdown();
    assert.throws(
      () => noveltyFilterFactory.config.parse({ state_file: 'novelty.json' }),
      /state_file/,
      'the old state_file option is refused by name',
    );
  });

  it('restores a version 1 snapshot (before maturity intervals), counting one interval per day seen', async () => {
    const identity = 'host=web-1|path=/tmp/.x/kworkerd|user=user';
    // Written by the previous version: seen 40 times on 14 days over two weeks.
    const v1 = {
      version: 1,
      baseline: {
        startMs: T0 - 20 * DAY,
        maxEventMs: T0,
        entries: [[identity, T0 - 14 * DAY, T0, 40, 14, Math.floor(T0 / DAY), 0x3fff]],
      },
    };
    const p = create();
    p.restore(v1);
    const seen = await one(p, flow(implant, T0 + 2 * 3_600_000));
    assert.equal(
      seen[NoveltyAttr.STATUS],
      'known',
      'two weeks, 14 days: established under the maturity rule',
    );
    assert.equal(seen[NoveltyAttr.SEEN_COUNT], 41);
    assert.equal(
      seen[NoveltyAttr.SEEN_INTERVALS],
      15,
      'one interval per day seen (the last in the hour ending at T0), plus this one',
    );
    assert.equal(p.snapshot()?.version, 2, 'snapshotted in the current version');
    await p.shutdown();
  });

  it('allowlists by identity, never a known name in a custom location', async () => {
    const p = create({
      learning_period_ms: 0,
      allowlist: [{ id: 'billing', paths: ['/srv/billing-*/bin/billing'] }],
    });
    const apt = await one(
      p,
      makeConnection(
        { [ProcessAttr.EXECUTABLE_PATH]: '/usr/lib/apt/methods/http', [ProcessAttr.USER_ID]: 42 },
        { host: 'web-1' },
      ),
    );
    assert.equal(apt[NoveltyAttr.STATUS], 'allowlisted');
    assert.equal(apt[NoveltyAttr.ALLOWLIST_ENTRY], 'builtin:apt-methods');
    const fake = await one(
      p,
      makeConnection(
        { [ProcessAttr.EXECUTABLE_PATH]: '/tmp/apt-get', [ProcessAttr.EXECUTABLE_NAME]: 'apt-get' },
        { host: 'web-1' },
      ),
    );
    assert.equal(fake[NoveltyAttr.STATUS], 'new');
    assert.equal(fake[NoveltyAttr.ALLOWLIST_ENTRY], undefined);
    const commOnly = await one(
      p,
      makeConnection({ [ProcessAttr.EXECUTABLE_NAME]: 'apt-get' }, { host: 'web-1' }),
    );
    assert.equal(commOnly[NoveltyAttr.STATUS], 'allowlisted', 'a name matches when the sensor gave no path');
    const mine = await one(
      p,
      makeConnection({ [ProcessAttr.EXECUTABLE_PATH]: '/srv/billing-2.1/bin/billing' }, { host: 'web-1' }),
    );
    assert.equal(mine[NoveltyAttr.ALLOWLIST_ENTRY], 'user:billing');
    const off = create({ use_builtin_allowlist: false, learning_period_ms: 0 });
    assert.equal(
      (
        await one(
          off,
          makeConnection({ [ProcessAttr.EXECUTABLE_PATH]: '/usr/lib/apt/methods/http' }, { host: 'web-1' }),
        )
      )[NoveltyAttr.STATUS],
      'new',
    );
    await p.shutdown();
    await off.shutdown();
  });

  it('drops known and allowlisted records in drop mode, but never a custom one by default', async () => {
    const p = create({
      learning_period_ms: 0,
      rare_min_count: 1,
      mature_span_ms: 0,
      mature_min_intervals: 1,
      action: { mode: 'drop' },
    });
    const curl = { [ProcessAttr.EXECUTABLE_PATH]: '/usr/bin/curl' };
    assert.equal((await p.process([flow(curl, T0)])).length, 1, 'new passes');
    assert.equal((await p.process([flow(curl, T0 + 300_000)])).length, 0, 'known is dropped');
    assert.equal(
      (await p.process([flow({ [ProcessAttr.EXECUTABLE_PATH]: '/usr/sbin/squid' }, T0)])).length,
      0,
      'allowlisted is dropped',
    );
    await p.process([flow(implant, T0)]);
    assert.equal(
      (await p.process([flow(implant, T0 + 300_000)])).length,
      1,
      'a known custom executable is kept',
    );
    const other = makeRecord(EventName.DETECTION, {}, { host: 'web-1' });
    assert.equal((await p.process([other])).length, 1, 'other event names pass untouched');
    assert.deepEqual(p.counters().dropped, { novelty_known: 1, novelty_allowlisted: 1 });
    await p.shutdown();
  });

  it(
    'marks a packaged executable and its copy differently when the host is this machine',
    { skip: NO_DPKG },
    async () => {
      const envCopy = unpackagedEnv('copy-');
      const p = create({ package_database: 'dpkg', learning_period_ms: 0 });
      const host = hostname();
      const packaged = await one(
        p,
        makeConnection({ [ProcessAttr.EXECUTABLE_PATH]: '/usr/bin/env' }, { host }),
      );
      assert.equal(packaged[NoveltyAttr.CUSTOM], false);
      const copy = await one(p, makeConnection({ [ProcessAttr.EXECUTABLE_PATH]: envCopy }, { host }));
      assert.ok((copy[NoveltyAttr.CUSTOM_REASONS] as string[]).includes('not_packaged'));
      const remote = await one(
        p,
        makeConnection({ [ProcessAttr.EXECUTABLE_PATH]: envCopy }, { host: `${host}-other` }),
      );
      assert.ok(
        !(remote[NoveltyAttr.CUSTOM_REASONS] as string[]).includes('not_packaged'),
        'another host is not looked up here',
      );
      const contained = await one(
        p,
        makeConnection(
          { [ProcessAttr.EXECUTABLE_PATH]: '/usr/local/bin/app', [ProcessAttr.CONTAINER_ID]: 'abc' },
          { host },
        ),
      );
      assert.equal(contained[NoveltyAttr.CUSTOM], false, "a container's paths are not this machine's");
      await p.shutdown();
    },
  );

  it(
    'decides a batch in order when some of its records wait for the package database and others do not',
    { skip: NO_DPKG },
    async () => {
      const envCopy = unpackagedEnv('batch-');
      const p = create({
        package_database: 'dpkg',
        learning_period_ms: 0,
        use_builtin_allowlist: false,
        allowlist: [{ id: 'tools', paths: ['/usr/bin/env', '/usr/bin/curl'] }],
        action: { mode: 'drop', statuses: ['allowlisted'], keep_custom: true },
      });
      const host = hostname();
      const at = (path: string, on: string, n: number) =>
        makeConnection({ [ProcessAttr.EXECUTABLE_PATH]: path, n }, { host: on });
      // Local records are looked up in this machine's package database (a promise each), the others are not.
      const out = await p.process([
        at('/usr/bin/env', `${host}-other`, 1), // decided at once: allowlisted, dropped
        at('/usr/bin/env', host, 2), // looked up: packaged, allowlisted, dropped
        at(envCopy, host, 3), // looked up: not packaged, custom, kept
        at('/tmp/.cache/agent', `${host}-other`, 4), // decided at once: custom by its directory, kept
        at('/usr/bin/curl', `${host}-other`, 5), // decided at once: allowlisted, dropped
        at(envCopy, host, 6), // looked up again: kept
      ]);
      assert.deepEqual(
        out.map((r) => r.attributes.n),
        [3, 4, 6],
      );
      assert.ok((out[0].attributes[NoveltyAttr.CUSTOM_REASONS] as string[]).includes('not_packaged'));
      assert.ok((out[1].attributes[NoveltyAttr.CUSTOM_REASONS] as string[]).includes('temporary_directory'));
      assert.equal(p.counters().dropped.novelty_allowlisted, 3);
      await p.shutdown();
    },
  );

  it('passes on records it cannot identify, counted and reported', async () => {
    const reported: ReportedError[] = [];
    setErrorHandler((e) => reported.push(e));
    try {
      const p = create();
      const noExe = makeConnection({ [ProcessAttr.PID]: 7 }, { host: 'web-1' });
      const kthread = makeConnection(
        { [ProcessAttr.EXECUTABLE_NAME]: 'kworker/0:1', [ProcessAttr.KERNEL_THREAD]: true },
        { host: 'web-1' },
      );
      const out = await p.process([noExe, kthread]);
      assert.equal(out.length, 2);
      assert.equal(out[0].attributes[NoveltyAttr.STATUS], undefined);
      assert.equal(out[1].attributes[NoveltyAttr.STATUS], undefined);
      assert.deepEqual(
        reported.map((e) => e.reason),
        ['unidentified_record'],
      );
      assert.equal(p.counters().events.kernel_thread, 1);
      await p.shutdown();
    } finally {
      setErrorHandler(stderrErrorHandler);
    }
  });

  it('counts and reports evictions when max_identities bites', async () => {
    const reported: ReportedError[] = [];
    setErrorHandler((e) => reported.push(e));
    try {
      const p = create({ max_identities: 2 });
      await p.process(
        ['/a', '/b', '/c', '/d'].map((path) => flow({ [ProcessAttr.EXECUTABLE_PATH]: path }, T0)),
      );
      assert.equal(p.counters().events.identities_evicted, 2);
      assert.deepEqual(p.counters().state, { entries: 2, bytes: p.counters().state.bytes, maxEntries: 2 });
      assert.deepEqual(
        reported.map((e) => e.reason),
        ['baseline_full'],
      );
      await p.shutdown();
    } finally {
      setErrorHandler(stderrErrorHandler);
    }
  });

  it('rejects bad configuration naming the key', () => {
    const parse = (raw: unknown) => () => noveltyFilterFactory.config.parse(raw, 'processors.novelty_filter');
    assert.throws(
      parse({ identity_parts: ['path', 'path'] }),
      /processors\.novelty_filter\.identity_parts: parts must not repeat/,
    );
    assert.throws(
      parse({ allowlist: [{ id: 'x' }] }),
      /processors\.novelty_filter\.allowlist\[0\]: an allowlist entry needs/,
    );
    assert.throws(
      parse({ allowlist: [{ id: 'x', sha256: ['abc'] }] }),
      /allowlist\[0\]\.sha256\[0\]: must be 64 hex digits/,
    );
    assert.throws(parse({ action: { mode: 'drop', statuses: ['new'] } }), /action\.statuses\[0\]/);
    assert.throws(
      parse({ event_names: ['egressguard.connection'] }),
      /annotate_event_names\[0\]: egressguard\.http_flow is not in event_names \(egressguard\.connection\)/,
      'annotating flows the filter does not act on would annotate nothing',
    );
    assert.doesNotThrow(
      parse({ event_names: ['egressguard.connection'], annotate_event_names: ['egressguard.connection'] }),
    );
    assert.throws(
      parse({ action: { mode: 'annotate', keep_custom: true } }),
      /action\.keep_custom: unknown key/,
    );
    assert.throws(
      () => create({ package_database: 'dpkg', dpkg_root: join(scratch, 'nowhere') }),
      (e: Error) => e instanceof ConfigError && /dpkg_root/.test(e.message),
    );
    assert.throws(
      () => create({ inventory_file: join(scratch, 'missing.txt') }),
      (e: Error) => e instanceof ConfigError && /inventory_file/.test(e.message),
    );
    assert.throws(
      () => create({ allowlist: [{ id: 'g', paths: ['/opt/{a'] }] }),
      /allowlist: allowlist entry user:g/,
    );
  });

  it('refuses a snapshot of an unknown version', () => {
    const p = create();
    assert.throws(() => p.restore({ version: 9 }), /novelty_filter\/test: .*unknown version 9/);
  });
});

describe('a host whose clock is far ahead', () => {
  it('enters the baseline at processing time plus the bound, not in 2037', async () => {
    const errors: string[] = [];
    const previous = getErrorHandler();
    setErrorHandler((e) => errors.push(e.reason));
    try {
      const p = create(
        { max_clock_skew_ms: DAY, learning_period_ms: DAY, history_ms: 14 * DAY },
        () => T0 + 30 * DAY,
      );
      const agent = { [ProcessAttr.EXECUTABLE_PATH]: '/usr/sbin/agent' };
      // Weeks of history, then one record from a host whose clock says 2037.
      for (let d = 0; d < 20; d++) await one(p, flow(agent, T0 + d * DAY + 600_000));
      const future = await one(p, flow(implant, Date.UTC(2037, 0, 1)));
      assert.equal(future[NoveltyAttr.FIRST_SEEN], T0 + 31 * DAY, 'entered at processing time + the bound');
      assert.deepEqual(errors, ['future_event_time']);
      // The agent, last seen 11 days before processing time, is still known: the 2037 record did not age it out.
      const again = await one(p, flow(agent, T0 + 29 * DAY));
      assert.notEqual(again[NoveltyAttr.STATUS], 'new');
      assert.equal(again[NoveltyAttr.FIRST_SEEN], T0 + 600_000 - 1);
    } finally {
      setErrorHandler(previous);
    }
  });
});

describe('the end of learning noted beside a record', () => {
  const poller = { [ProcessAttr.EXECUTABLE_PATH]: '/opt/vendor/bin/poller', [ProcessAttr.USER_ID]: 0 };

  it('is noted for a learning record whose custom verdict read no local file, as the baseline’s first time plus the period', async () => {
    const p = create({ check_local_files: false, learning_period_ms: DAY });
    const first = flow(poller, T0 + 300_000);
    assert.equal((await one(p, first))[NoveltyAttr.LEARNING], true);
    // The baseline's first record was dated by its window's last instant.
    assert.equal(learningEndOf(first), T0 + 300_000 - 1 + DAY);
    const later = flow(poller, T0 + DAY + 600_000);
    assert.equal((await one(p, later))[NoveltyAttr.LEARNING], false);
    assert.equal(learningEndOf(later), undefined, 'not learning: nothing to note');
  });

  it('is not noted when the verdict read this machine’s files, nor for an answer an earlier stage wrote', async () => {
    const local = create({ check_local_files: true, learning_period_ms: DAY });
    const record = flow(poller, T0 + 300_000);
    assert.equal((await one(local, record))[NoveltyAttr.LEARNING], true);
    assert.equal(learningEndOf(record), undefined);

    const answered = flow(poller, T0 + 300_000, {
      [NoveltyAttr.STATUS]: 'known',
      [NoveltyAttr.LEARNING]: false,
    });
    const attrs = await one(create({ check_local_files: false, learning_period_ms: DAY }), answered);
    assert.equal(attrs[NoveltyAttr.STATUS], 'known', 'the earlier answer stands');
    assert.equal(learningEndOf(answered), undefined);
  });
});
