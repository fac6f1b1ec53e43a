/**
 * One hostile line through the whole default chain: the replay ends, the line is counted under its reason, and the
 * lines around it are read.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { collect, startCli } from '../support/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'egressguard-replay-hostile-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Far more than a replay of a few lines needs; a hang is killed and fails the test instead of the suite. */
const LIMIT_MS = 60_000;

describe('replay of hostile input', () => {
  it('far-future timestamp does not hang the chain: a tcplife row dated 2^64 s is counted as time_out_of_range', async () => {
    const file = join(dir, 'far-future.csv');
    writeFileSync(
      file,
      [
        'START_UNIX,PID,COMM,LADDR,LPORT,RADDR,RPORT,TX_B,RX_B,MS,EST',
        '1764460800.250000,4242,implant,10.0.2.15,41822,198.51.100.7,80,89,84,12,1',
        '18446744073709551616.000000,4242,implant,10.0.2.15,41823,198.51.100.7,80,89,84,12,1',
        '1764460801.250000,4242,implant,10.0.2.15,41824,198.51.100.7,80,89,84,12,1',
        '',
      ].join('\n'),
    );
    const child = startCli(['replay', '--format', 'tcplife', '--host', 'h', '--output', '/dev/null', file]);
    const timer = setTimeout(() => child.kill('SIGKILL'), LIMIT_MS);
    child.stdin.end();
    const r = await collect(child);
    clearTimeout(timer);
    assert.equal(r.signal, null, `killed after ${LIMIT_MS} ms: the chain hung`);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /time_out_of_range 1/);
    assert.match(r.stderr, /^h\s+tcplife\s+2\s/m, r.stderr);
  });
});
