/**
 * `egressguard replay --format auto` on files as sensors and their documentation really leave them: a banner or prose
 * before the first line of output, `#` headers, formats mixed in one file. Lines no format recognises are counted
 * and shown in the blind-spot table's MALFORMED column; a file of which nothing is recognised fails naming the file.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { readSensorFile } from '@egressguard/normalize';

import { REPO_ROOT, runCli } from '../support/cli.ts';

const FIXTURES = join(REPO_ROOT, 'packages', 'normalize', 'test', 'fixtures');
const SHARED = join(REPO_ROOT, '..', 'shared', 'fixtures', 'telemetry');
const dir = mkdtempSync(join(tmpdir(), 'egressguard-replay-auto-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Replays one file with `--format auto` and returns the exit code, stderr and the blind-spot rows by source. */
async function replayAuto(file: string, format = 'auto') {
  const r = await runCli(['replay', '--format', format, '--host', 'h', '--output', '/dev/null', file]);
  const rows = new Map<string, { connections: number; malformed: number }>();
  for (const line of r.stderr.slice(r.stderr.indexOf('Blind spots')).split('\n')) {
    const cells = line.trim().split(/\s{2,}/);
    if (cells[0] !== 'h' || cells.length < 7) continue;
    rows.set(cells[1], {
      connections: Number(cells[2].replace(/,/g, '')),
      malformed: Number(cells.at(-1)!.replace(/,/g, '')),
    });
  }
  return { ...r, rows };
}

/** What the reader itself counts in a file with `auto`: records by source format and malformed lines. */
async function readerCounts(file: string) {
  const reader = readSensorFile(file, 'auto', { host: 'h' });
  for await (const _batch of reader);
  return reader.summary;
}

describe('replay --format auto', () => {
  it('--format auto reads a file whose first line no format recognises (a bpftrace banner before tcplife)', async () => {
    const file = join(FIXTURES, 'tcplife-bpftrace-bytes.txt');
    const r = await replayAuto(file);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /unknown sensor format/);
    const fixed = await replayAuto(file, 'tcplife');
    assert.equal(r.rows.get('tcplife')?.connections, fixed.rows.get('tcplife')?.connections);
    assert.ok(r.rows.get('tcplife')!.connections > 0, r.stderr);
    // The banner is what auto skipped: one line more than the tcplife parser itself reports.
    assert.equal(r.rows.get('tcplife')?.malformed, fixed.rows.get('tcplife')!.malformed + 1, r.stderr);
    assert.match(r.stderr, /unrecognized 1/);
  });

  it('reads a file mixing formats line by line, each on its own row', async () => {
    const file = join(dir, 'mixed.log');
    const text = (name: string) => readFileSync(join(FIXTURES, name), 'utf8').trimEnd().split('\n');
    writeFileSync(
      file,
      `${[...text('tcplife-bpftrace-bytes.txt'), ...text('auditd-events.log'), ...text('zeek-conn.log')].join('\n')}\n`,
    );
    const r = await replayAuto(file);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual([...r.rows.keys()].sort(), ['auditd', 'tcplife', 'zeek.conn']);
  });

  it('names the file, the formats tried and the first line when nothing at all is recognised', async () => {
    const file = join(dir, 'notes.txt');
    writeFileSync(file, 'Meeting notes, 3 December\nnothing to see here\n');
    const r = await replayAuto(file);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /no sensor format recognises any line of .*notes\.txt/);
    assert.match(r.stderr, /tried auditd, sysmon, falco, tetragon, auditbeat, zeek, tcplife, ss/);
    assert.match(r.stderr, /first line is "Meeting notes, 3 December"/);
  });

  describe('unmodified real samples', () => {
    const samples: [file: string, source: string][] = [
      ['bcc/tcplife_example.txt', 'tcplife'],
      ['ss/ss-tinp.txt', 'ss'],
      ['zeek/opt.basic__conn.log', 'zeek.conn'],
      ['zeek/opt.basic__http.log', 'zeek.conn'],
      ['zeek-rita/proxy-beacon__conn.log', 'zeek.conn'],
      ['zeek-rita/proxy-beacon__http.log', 'zeek.conn'],
      ['zeek-rita/json__conn.log', 'zeek.conn'],
      ['zeek-rita/json__http.log', 'zeek.conn'],
      ['zeek/scripts.base.frameworks.logging.json-non-printable-escaping__http.log.json', 'zeek.conn'],
    ];
    for (const [name, source] of samples) {
      const file = join(SHARED, name);
      const skip = existsSync(file)
        ? false
        : `shared sample ${name} is absent (the telemetry folder beside the repository)`;
      it(`reads ${name}`, { skip }, async () => {
        const r = await replayAuto(file);
        assert.equal(r.code, 0, r.stderr);
        const summary = await readerCounts(file);
        const row = r.rows.get(source) ?? r.rows.get('zeek.http');
        assert.ok(row, r.stderr);
        // Every line the reader skipped is in the MALFORMED column (the Zeek btest baselines mask every ts).
        const shown = [...r.rows.values()].reduce((n, x) => n + x.malformed, 0);
        assert.equal(shown, summary.malformed, r.stderr);
        assert.equal(
          [...r.rows.values()].reduce((n, x) => n + x.connections, 0) > 0,
          summary.records > 0,
          r.stderr,
        );
      });
    }
  });
});
