/**
 * What a replay says of its own time: each stage's (`timings`) and the OTLP JSON codec's (`codecTimings`), so that a
 * reader of a slow replay can tell the chain's part from decoding and encoding.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { REPO_ROOT } from '../support/cli.ts';
import { replayWithDefaults } from '../support/replay.ts';

const FLOOD = join(REPO_ROOT, 'test', 'scenarios', 'flood');
const scratch = mkdtempSync(join(tmpdir(), 'replay-timings-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

describe('replay timings', () => {
  it('times the codec apart from the stages: decoding OTLP JSON lines, encoding every output line', async () => {
    const sensors = await replayWithDefaults(
      [join(FLOOD, 'auditd-exec.log'), join(FLOOD, 'tcplife.csv')],
      'auto',
    );
    // Sensor input is parsed by normalize's readers: nothing is decoded as OTLP JSON, every output line is encoded.
    assert.equal(sensors.result.codecTimings.decodeMs, 0);
    assert.ok(sensors.result.codecTimings.encodeMs > 0);

    const otlp = join(scratch, 'flood.jsonl');
    writeFileSync(otlp, sensors.text);
    const replayed = await replayWithDefaults([otlp], 'otlp-json');
    const { decodeMs, encodeMs } = replayed.result.codecTimings;
    assert.ok(replayed.result.recordsIn > 400, `records read: ${replayed.result.recordsIn}`);
    assert.ok(decodeMs > 0, `decodeMs ${decodeMs}`);
    assert.ok(encodeMs > 0, `encodeMs ${encodeMs}`);
    const stagesMs = Object.values(replayed.result.timings.logs).reduce((n, t) => n + t.ms, 0);
    assert.ok(stagesMs > 0);
    // Parts of one replay's time, measured apart: together no more than the whole.
    assert.ok(
      decodeMs + encodeMs + stagesMs <= replayed.wallMs,
      `${decodeMs} + ${encodeMs} + ${stagesMs} > ${replayed.wallMs}`,
    );
  });
});
