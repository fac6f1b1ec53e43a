/**
 * The README's main command (`npm start`) as a test: the replay its script runs finds the four implants of the
 * bundled scenarios, and nothing else, as the README's sample output shows.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { parseArgs } from 'node:util';

import { createProcessorRegistry, defaultConfigYaml, parseConfigText, replay } from '@egressguard/cli';
import { assertRecordsConserved } from '@egressguard/core/testing';
import { DetectionAttr, ProcessAttr, getInt, getString } from '@egressguard/schema';

const ROOT = join(import.meta.dirname, '..');

describe('npm start', () => {
  it('replays the bundled scenarios and detects exactly the four implants the README shows', async () => {
    const script = (
      JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
    ).scripts.start;
    const args = script.split(/\s+/);
    assert.deepEqual(args.slice(0, 3), ['node', 'packages/cli/dist/bin.js', 'replay']);
    const { values, positionals } = parseArgs({
      args: args.slice(3),
      options: { format: { type: 'string' }, host: { type: 'string' }, output: { type: 'string' } },
      allowPositionals: true,
    });
    const result = await replay({
      config: parseConfigText(defaultConfigYaml({}), {
        registry: createProcessorRegistry(),
        env: {},
        requireEnds: false,
      }),
      inputs: positionals.map((p) => join(ROOT, p)),
      format: values.format!,
      host: values.host!,
      output: new Writable({ write: (_c, _e, done) => done() }),
    });
    // Each implant fired once and was revised once when its window closed: four alerts.
    assert.equal(result.detectionCount, 4);
    assert.equal(result.revisionCount, 4);
    const first = result.detections.filter((d) => !getInt(d.attributes, DetectionAttr.REVISION));
    const found = first.map((d) => [
      getString(d.attributes, ProcessAttr.EXECUTABLE_PATH),
      getString(d.attributes, DetectionAttr.FINDING),
    ]);
    assert.deepEqual(found.sort(), [
      ['/dev/shm/.dbus-update', 'low_response'],
      ['/tmp/.X11-cache/kworkerd', 'low_response'],
      ['/tmp/.ssh-agent-cache/ssh-agent', 'all_failed'],
      ['/var/tmp/systemd-private-cache/updater', 'low_response'],
    ]);

    // Every record accounted for, in every stage: in = out - added + dropped + held, nothing lost.
    assert.equal(result.recordsLost, 0);
    const stages = result.balance.logs;
    assert.ok(stages, 'the default chain is the pipeline logs');
    assert.deepEqual(Object.keys(stages), [
      'normalize',
      'process_attribution',
      'coverage_report',
      'http_flow_aggregator',
      'novelty_filter',
      'ratio_detector',
    ]);
    assertRecordsConserved(stages, 'npm start');
    for (const [id, b] of Object.entries(stages)) {
      assert.equal(
        b.recordsIn,
        b.recordsOut - b.added + b.dropped + b.held,
        `${id}: in = out - added + dropped + held`,
      );
      assert.equal(b.held, 0, `${id}: nothing is held once the replay has shut the chain down`);
    }
    // Each stage hands the next exactly what it put out.
    const ids = Object.keys(stages);
    for (let i = 1; i < ids.length; i++)
      assert.equal(
        stages[ids[i]].recordsIn,
        stages[ids[i - 1]].recordsOut,
        `${ids[i]} receives what ${ids[i - 1]} put out`,
      );
    assert.equal(stages.ratio_detector.recordsOut, result.recordsOut);

    // The README shows these figures.
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const n = (v: number) => v.toLocaleString('en-US');
    for (const [id, b] of Object.entries(stages)) {
      const row = new RegExp(`^  ${id} +(\\S+) +(\\S+) +(\\S+) +(\\S+) +(\\S+) +(\\S+)`, 'm').exec(readme);
      assert.ok(row, `the README quick start shows the ${id} row`);
      assert.deepEqual(
        row.slice(1, 7),
        [b.recordsIn, b.recordsOut, b.added, b.dropped, b.held, b.lost].map(n),
        `the README's ${id} row matches the replay`,
      );
    }
  });
});
