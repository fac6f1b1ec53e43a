/**
 * Conservation checks for tests that run a chain: every stage's records balance (in = out - added + dropped +
 * held) and no stage reported `records_lost` (or `records_overcounted`) through the error handler.
 */
import assert from 'node:assert/strict';

import { getErrorHandler, setErrorHandler, type ReportedError } from '../errors.ts';
import type { Pipeline, StageBalance } from '../pipeline.ts';

/** The error-handler reasons the pipeline reports a conservation failure with. */
export const CONSERVATION_REASONS: readonly string[] = ['records_lost', 'records_overcounted'];

/**
 * Asserts that every stage of a pipeline (or every stage of the given balances, as a CLI result carries them)
 * accounted for each record: nothing lost, nothing counted twice, and in = out - added + dropped + held.
 */
export function assertRecordsConserved(
  source: Pipeline | Readonly<Record<string, StageBalance>>,
  label = 'pipeline',
): void {
  const balances = 'balance' in source && typeof source.balance === 'function' ? source.balance() : source;
  for (const [id, b] of Object.entries(balances as Readonly<Record<string, StageBalance>>)) {
    const where = `${label} stage ${id} (in ${b.recordsIn}, out ${b.recordsOut}, added ${b.added}, dropped ${b.dropped}, held ${b.held}, lost ${b.lost})`;
    assert.equal(b.lost, 0, `${where}: records_lost must stay 0`);
    assert.equal(b.overcounted, 0, `${where}: no record may be counted as dropped or held twice`);
    assert.equal(
      b.recordsIn,
      b.recordsOut - b.added + b.dropped + b.held,
      `${where}: in = out - added + dropped + held`,
    );
  }
}

/** What {@link watchRecordsLost} returns. */
export interface RecordsLostWatch {
  /** The conservation failures reported since the watch began. */
  readonly reports: readonly ReportedError[];
  /** Asserts no conservation failure was reported. */
  assertNone(): void;
  /** Puts the previous error handler back. */
  restore(): void;
}

/**
 * Watches the error handler for conservation failures (`records_lost`, `records_overcounted`) while forwarding
 * every report to the handler installed before. For chains run inside code that keeps no pipeline to ask (a CLI
 * command); install it before that code replaces the handler, or use {@link assertRecordsConserved} on its result.
 */
export function watchRecordsLost(): RecordsLostWatch {
  const previous = getErrorHandler();
  const reports: ReportedError[] = [];
  setErrorHandler((error) => {
    if (CONSERVATION_REASONS.includes(error.reason)) reports.push(error);
    previous(error);
  });
  return {
    reports,
    assertNone() {
      assert.deepEqual(
        reports.map((r) => `${r.component}: ${r.reason}: ${r.message}`),
        [],
        'no stage may lose a record',
      );
    },
    restore() {
      setErrorHandler(previous);
    },
  };
}

/**
 * Asserts that a command's error output (`egressguard run` or `replay` as a child process) reports no conservation
 * failure: no `records_lost` or `records_overcounted` line, and any "N records lost" / "N lost" figure is 0.
 */
export function assertNoRecordsLostReported(text: string): void {
  const failure = /^.*records_(?:lost|overcounted).*$/m.exec(text);
  assert.equal(failure, null, `a stage lost records: ${failure?.[0] ?? ''}`);
  for (const m of text.matchAll(/\b([\d,]+) (?:records )?lost\b/g)) {
    assert.equal(m[1], '0', `a stage lost records: ${m[0]}`);
  }
}
