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
  });
});
