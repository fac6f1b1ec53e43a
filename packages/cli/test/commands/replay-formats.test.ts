/**
 * `egressguard replay --format F FILE` for every sensor format: the default chain reads the sensor's own output and
 * the summary ends with the blind-spot table, with a row for that format.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { readSensorFile } from '@egressguard/normalize';

import { REPO_ROOT, runCli } from '../support/cli.ts';

const FIXTURES = join(REPO_ROOT, 'packages', 'normalize', 'test', 'fixtures');

/** A fixture of each format (written for the normalize package) and the source format its records carry. */
const CASES: [format: string, file: string, source: RegExp][] = [
  ['auditd', 'auditd-events.log', /^\S+\s+auditd\s/m],
  ['sysmon', 'sysmon-events.log', /^\S+\s+sysmon\S*\s/m],
  ['falco', 'falco-alerts.jsonl', /^\S+\s+falco\s/m],
  ['tetragon', 'tetragon-events.jsonl', /^\S+\s+tetragon\s/m],
  ['auditbeat', 'auditbeat-socket.ndjson', /^\S+\s+auditbeat\S*\s/m],
  ['zeek', 'zeek-conn.log', /^\S+\s+zeek\.conn\s/m],
  ['tcplife', 'tcplife-egressguard-tracer.csv', /^\S+\s+tcplife\s/m],
  ['ss', 'ss-polls.txt', /^\S+\s+ss\s/m],
];

describe('replay prints the blind-spot table for every sensor format', () => {
  for (const [format, file, source] of CASES) {
    it(`--format ${format}`, async () => {
      const r = await runCli([
        'replay',
        '--format',
        format,
        '--host',
        'sensor-host',
        '--output',
        '/dev/null',
        join(FIXTURES, file),
      ]);
      assert.equal(r.code, 0, r.stderr);
      const table = r.stderr.slice(r.stderr.indexOf('Blind spots'));
      assert.ok(r.stderr.includes('Blind spots'), r.stderr);
      assert.match(table, /HOST\s+SOURCE\s+CONNECTIONS\s+NO PROCESS\s+NO BYTES\s+NO HTTP/);
      assert.match(table, source, table);
      // Unreadable lines land on the format's row: as many as the reader itself counts in the fixture.
      const reader = readSensorFile(join(FIXTURES, file), format, { host: 'sensor-host' });
      for await (const _batch of reader);
      const row = table.split('\n').find((l) => source.test(`${l}\n`) && l.startsWith('sensor-host'));
      assert.ok(row, table);
      assert.equal(Number(row.trim().split(/\s+/).at(-1)?.replace(/,/g, '')), reader.summary.malformed, row);
    });
  }
});
