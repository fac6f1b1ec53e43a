/**
 * `egressguard watch` on this machine, with the eBPF receiver: a flood implant (a copy of perl in a hidden directory
 * under /tmp) and a packaged downloader (curl) talk to servers in a network namespace of our own. The implant is
 * detected and the downloader is not; the tracer, killed mid-run, is restarted and the gap is in the coverage
 * records. The latency from the implant's threshold-crossing connection to the detection is measured and printed.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { takeHostLock } from '../host-lock.ts';
import {
  CLIENT_PL,
  SERVER_MJS,
  WATCH_NETWORK,
  Watched,
  ebpfMissing,
  egressguard,
  missingForWatch,
} from './lib.ts';

const missing = [...missingForWatch(), ...ebpfMissing()];
const skip = missing.length > 0 ? `watch with the eBPF receiver needs ${missing.join(', ')}` : false;

/**
 * The bound: the detection within 15 s of the threshold-crossing connection (the detector fires on the
 * aggregator's interim update; the tracer reports a connection when it closes, and the receiver hands its lines over
 * at least once a second).
 */
const LATENCY_BOUND_MS = 15_000;

/** The ratio detector's default connection threshold: the connection that crosses it is the one timed. */
const THRESHOLD_CONNECTIONS = 10;

describe('egressguard watch with the eBPF receiver', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'egw-watch-'));
  // The implant: a program no package owns, in a hidden directory under /tmp.
  const hidden = mkdtempSync('/tmp/.egw-cache-');
  const implant = join(hidden, 'kworkerd');
  let servers: Watched | undefined;
  let release: (() => void) | undefined;

  before(async () => {
    release = await takeHostLock('egressguard watch with the eBPF receiver');
    WATCH_NETWORK.setup();
    const routes = WATCH_NETWORK.verifyRoute();
    for (const r of routes) assert.match(r, /dev egw-host/);
    const { repo, c2 } = WATCH_NETWORK.spec.servers;
    servers = new Watched('ip', [
      'netns',
      'exec',
      WATCH_NETWORK.spec.namespace,
      process.execPath,
      SERVER_MJS,
      `${repo}:80`,
      `${c2}:80`,
    ]);
    await servers.waitFor('stdout', /listening/, 30_000);
    copyFileSync('/usr/bin/perl', implant);
  });

  after(async () => {
    await servers?.stop('SIGTERM');
    WATCH_NETWORK.teardown();
    rmSync(dir, { recursive: true, force: true });
    rmSync(hidden, { recursive: true, force: true });
    release?.();
  });

  it('catches the implant and not the downloader, and reports the tracer it restarted', async (t) => {
    const state = join(dir, 'state');
    // The embedded configuration as a user gets it: 10-minute windows, detections fired at the crossing connection.
    const watch = egressguard(['watch', '--receiver', 'ebpf', '--state', state], dir);
    try {
      const attached = await watch.waitFor('stderr', /bpftrace (\d+) attached/, 90_000);
      await watch.waitFor('stderr', /watching .* with ebpf/, 30_000);
      const { repo, c2 } = WATCH_NETWORK.spec.servers;

      // The packaged downloader: a few large downloads.
      for (let i = 0; i < 3; i++) {
        const curl = new Watched('curl', [
          '-s',
          '-o',
          '/dev/null',
          '-w',
          '%{http_code}\n',
          `http://${repo}/pool/main/pkg-${i}.deb`,
        ]);
        await curl.waitFor('stdout', /200/, 30_000);
      }

      // The tracer dies (killed by its pid); the receiver restarts it and reports the gap.
      const tracerPid = Number(attached[1]);
      process.kill(tracerPid, 'SIGKILL');
      await watch.waitFor('stderr', /tracer restarted; not traced for \d+ ms \(killed by SIGKILL\)/, 120_000);

      // The implant: 40 connections, 100 ms apart, to a server answering 204. The detection is awaited from the start,
      // so that the time it is printed is taken when it appears.
      const detection = watch
        .waitFor(
          'stdout',
          new RegExp(`^Detection fired at (\\S+ \\S+Z):\\n[^]*?${implant.replaceAll('.', '\\.')}`, 'm'),
          180_000,
        )
        .then((match) => ({ match, at: Date.now() }));
      const flood = new Watched(implant, [CLIENT_PL, 'get', c2, '80', '/beacon', '40', '100']);
      await flood.waitFor('stdout', new RegExp(`^ok ${THRESHOLD_CONNECTIONS} `, 'm'), 60_000);
      const crossedAt = Date.now();
      await flood.waitFor('stdout', /^ok 40 /m, 60_000);

      const { at: detectedAt } = await detection;
      const latencyS = (detectedAt - crossedAt) / 1000;
      t.diagnostic(`implant detected ${latencyS.toFixed(1)} s after its threshold-crossing connection`);
      process.stderr.write(
        `watch (eBPF): implant detected ${latencyS.toFixed(1)} s after its threshold-crossing connection\n`,
      );
      assert.ok(latencyS * 1000 <= LATENCY_BOUND_MS, `latency ${latencyS} s`);

      // Quiet long enough for the downloader's window to have closed too.
      await new Promise((resolve) => setTimeout(resolve, 20_000));
      assert.equal(await watch.stop('SIGINT'), 0, watch.stderr);
      t.diagnostic(`watch output:\n${watch.stdout}`);
      assert.doesNotMatch(watch.stdout, /curl/, 'the packaged downloader is not detected');
      // One alert for the implant; the window's close revises it (same id) instead of alerting again.
      assert.match(watch.stdout, /^1 detection\(s\)/m);
      assert.match(watch.stdout, /Sensor down .* \(\d+ ms, killed by SIGKILL\)/);

      // The OTLP output carries the gap as a coverage record, and the implant's connections with exact bytes.
      const output = readFileSync(join(dir, 'watch.jsonl'), 'utf8');
      assert.match(watch.stdout, /AN0145/);
      assert.match(
        output,
        /"egressguard\.coverage\.sensor_down_reason","value":\{"stringValue":"killed by SIGKILL"\}/,
      );
      assert.match(
        output,
        new RegExp(
          `"process\\.executable\\.path","value":\\{"stringValue":"${implant.replaceAll('.', '\\.')}"`,
        ),
      );
    } finally {
      await watch.stop('SIGTERM');
    }
  });
});
