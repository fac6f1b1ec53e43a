/**
 * `egressguard replay --format F FILE` for every sensor format: the default chain reads the sensor's own output and
 * the summary ends with the blind-spot table, with a row for that format.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';

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
    });
  }
});
