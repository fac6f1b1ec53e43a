/**
 * The evaluation as a test: every labelled scenario, replayed through the default chain, must meet the README's
 * thresholds with the eBPF + exec sensor set, and each malicious actor must be caught for the right reason.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';

import { assertRecordsConserved } from '@egressguard/core/testing';
import { DetectionAttr, getDouble, getString, getStringArray } from '@egressguard/schema';

import {
  SENSOR_SETS,
  evaluateAll,
  missedThresholds,
  overall,
  scenarioNames,
  type SetScore,
} from './scenarios/lib/evaluate.ts';

describe('evaluation over the recorded scenarios', () => {
  let scores: SetScore[] = [];
  before(async () => {
    scores = await evaluateAll();
  });

  it('has the five short scenarios and the long benign recording', () => {
    assert.deepEqual(scenarioNames(), [
      'beacon',
      'benign',
      'benign-long',
      'failing-implant',
      'flood',
      'push-out',
    ]);
  });

  it('states false positives over at least 20 benign process-hours, the long recording judged after learning', () => {
    const long = scores.find(
      (s) => s.scenario === 'benign-long' && s.sensorSet === SENSOR_SETS[0].name && !s.informational,
    )!;
    assert.equal(long.judged, 'after_learning');
    assert.ok(long.benignProcessHours >= 20, `${long.benignProcessHours} benign process-hours`);
    assert.deepEqual(long.falsePositives, []);
    assert.ok(overall(scores, SENSOR_SETS[0].name).benignProcessHours >= 20);
    // Judged fresh (its first day), for information: the chatty custom programs the learning day then silences.
    const fresh = scores.find(
      (s) => s.scenario === 'benign-long' && s.sensorSet === SENSOR_SETS[0].name && s.informational,
    )!;
    assert.equal(fresh.judged, 'fresh');
  });

  it('fires within seconds of the connection that crossed the thresholds', () => {
    for (const s of scores.filter((x) => x.sensorSet === SENSOR_SETS[0].name && !x.informational))
      for (const [actor, ms] of Object.entries(s.latencyFromCrossingMs))
        assert.ok(ms >= 0 && ms <= 15_000, `${actor}: ${ms} ms past the crossing`);
  });

  it('loses no record in any stage, in any scenario and sensor set', () => {
    assert.ok(scores.length > 0);
    for (const s of scores) {
      assert.ok(Object.keys(s.balance).length > 0, `${s.scenario}/${s.sensorSet}: the chain ran`);
      assertRecordsConserved(s.balance, `${s.scenario}/${s.sensorSet}`);
    }
  });

  it('meets the thresholds with the gated sensor set', () => {
    for (const set of SENSOR_SETS.filter((s) => s.gated)) {
      assert.deepEqual(missedThresholds(overall(scores, set.name)), [], set.name);
    }
  });

  it('raises nothing on the benign scenario with any sensor set that sees bytes', () => {
    for (const s of scores.filter(
      (x) => x.scenario.startsWith('benign') && x.sensorSet !== 'auditd' && !x.informational,
    )) {
      assert.deepEqual(s.falsePositives, [], s.sensorSet);
    }
  });

  it("reports what the blind sensors cannot see instead of guessing: ss polling misses the implants' short connections", () => {
    const ss = scores.filter((s) => s.sensorSet === 'ss+exec');
    assert.ok(ss.every((s) => s.falsePositives.length === 0));
  });

  const expected: Record<string, { actor: string; finding: string }> = {
    flood: { actor: 'flood-implant', finding: 'low_response' },
    beacon: { actor: 'beacon-implant', finding: 'low_response' },
    'push-out': { actor: 'push-implant', finding: 'low_response' },
    'failing-implant': { actor: 'failing-implant', finding: 'all_failed' },
  };
  for (const [scenario, want] of Object.entries(expected)) {
    it(`catches ${want.actor} in ${scenario} as ${want.finding}, with the eBPF + exec sensors`, () => {
      const score = scores.find((s) => s.scenario === scenario && s.sensorSet === SENSOR_SETS[0].name)!;
      const mine = score.detectionRecords.filter((d) => d.actor === want.actor).map((d) => d.record);
      assert.ok(mine.length > 0, `no detection for ${want.actor}`);
      const d = mine[0];
      assert.equal(getString(d.attributes, DetectionAttr.FINDING), want.finding);
      assert.equal(getString(d.attributes, DetectionAttr.ANALYTIC), 'AN0145');
      assert.equal(getString(d.attributes, DetectionAttr.TECHNIQUE_ID), 'T1001');
      assert.ok(
        (getStringArray(d.attributes, DetectionAttr.FIRED) ?? []).includes(
          want.finding === 'all_failed' ? 'min_failed_connections' : 'min_connections',
        ),
      );
      if (scenario === 'beacon') {
        const cv = getDouble(d.attributes, `${DetectionAttr.EVIDENCE_PREFIX}interval_cv`);
        assert.ok(cv !== undefined && cv < 0.25, `the beacon's regularity is in the evidence (cv ${cv})`);
      }
    });
  }
});
