/**
 * The `auditd` receiver against the system's running auditd: it keeps its place across a restart of watch with a log
 * rotation in between (the rest of the rotated file is read first, then the new one, then it follows live). Each marker
 * connection (curl to a closed loopback port, logged by audit rules of this test's own keys, for this test's
 * children only) reaches the output exactly once.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { takeHostLock } from '../host-lock.ts';
import type { Watched } from './lib.ts';
import { egressguard, missingForWatch } from './lib.ts';

const AUDIT_LOG = '/var/log/audit/audit.log';

function auditdPid(): number | undefined {
  try {
    return Number(execFileSync('pgrep', ['-xo', 'auditd'], { encoding: 'utf8' }).trim());
  } catch {
    return undefined;
  }
}

const missing = missingForWatch(['auditctl', 'auditd', 'pgrep']);
const skip = missing.length > 0 ? `the auditd receiver test needs ${missing.join(', ')}` : false;

/** This test's rules: its own keys, and only the connect and execve calls of its own children. */
const RULES = [
  ['always,exit', '-F', 'arch=b64', '-S', 'connect', '-F', `ppid=${process.pid}`, '-k', 'egw_watch_connect'],
  ['always,exit', '-F', 'arch=b64', '-S', 'execve', '-F', `ppid=${process.pid}`, '-k', 'egw_watch_exec'],
];

function removeRules(): void {
  for (const rule of RULES) {
    try {
      execFileSync('auditctl', ['-d', ...rule], { stdio: 'ignore' });
    } catch {
      // not there
    }
  }
}

/**
 * The destination ports of the auditd connection records of this test's children (to 127.0.0.1) in OTLP JSON lines,
 * with how often each occurs.
 */
function markerCounts(file: string): Map<number, number> {
  const counts = new Map<number, number>();
  if (!existsSync(file)) return counts;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line === '') continue;
    const request = JSON.parse(line) as {
      resourceLogs: {
        scopeLogs: {
          logRecords: {
            eventName?: string;
            attributes?: { key: string; value: Record<string, unknown> }[];
          }[];
        }[];
      }[];
    };
    for (const rl of request.resourceLogs)
      for (const sl of rl.scopeLogs)
        for (const r of sl.logRecords) {
          if (r.eventName !== 'egressguard.connection') continue;
          const attr = new Map((r.attributes ?? []).map((a) => [a.key, a.value]));
          if (attr.get('egressguard.source.format')?.stringValue !== 'auditd') continue;
          if (attr.get('destination.address')?.stringValue !== '127.0.0.1') continue;
          // Other tests on this machine connect to loopback too: only this test's own curl counts.
          if (Number(attr.get('process.parent_pid')?.intValue) !== process.pid) continue;
          const port = Number(attr.get('destination.port')?.intValue);
          counts.set(port, (counts.get(port) ?? 0) + 1);
        }
  }
  return counts;
}

async function until(
  what: string,
  check: () => boolean,
  timeoutMs: number,
  context = () => '',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms\n${context()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** A connection to a closed loopback port: one `connect` audit event (ECONNREFUSED) with that port. */
function marker(port: number): void {
  try {
    execFileSync('curl', ['-s', '-m', '5', `http://127.0.0.1:${port}/`], { stdio: 'ignore' });
  } catch {
    // Refused, as intended.
  }
}

/** Asks auditd to rotate its log (what `service auditd rotate` does) and waits for the new file. */
async function rotate(): Promise<void> {
  const before = statSync(AUDIT_LOG).ino;
  process.kill(auditdPid()!, 'SIGUSR1');
  await until(
    'auditd rotates its log',
    () => existsSync(AUDIT_LOG) && statSync(AUDIT_LOG).ino !== before,
    30_000,
  );
}

describe('the auditd receiver on the running auditd', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'egw-watch-auditd-'));
  const output = join(dir, 'out.jsonl');
  /** The auditd this test started when none was running (a fresh CI machine), stopped at the end by its pid. */
  let ourDaemon: number | undefined;
  let release: (() => void) | undefined;

  before(async () => {
    release = await takeHostLock('the auditd receiver on the running auditd');
    if (auditdPid() === undefined) {
      ourDaemon = spawn('auditd', ['-n'], { stdio: 'ignore' }).pid;
      await until('auditd writes its log', () => auditdPid() !== undefined && existsSync(AUDIT_LOG), 30_000);
    }
    // The kernel's default backlog of 64 drops events under load; a run that died may have left our rules behind.
    execFileSync('auditctl', ['-b', '16384'], { stdio: 'ignore' });
    removeRules();
    for (const rule of RULES) execFileSync('auditctl', ['-a', ...rule], { stdio: 'ignore' });
  });

  after(() => {
    removeRules();
    if (ourDaemon !== undefined) process.kill(ourDaemon, 'SIGTERM');
    rmSync(dir, { recursive: true, force: true });
    release?.();
  });

  it('keeps its place across a log rotation and a restart of watch', async (t) => {
    const configFile = join(dir, 'watch.yaml');
    writeFileSync(
      configFile,
      [
        'receivers:',
        '  auditd:',
        '    source:',
        '      type: file',
        `      path: ${AUDIT_LOG}`,
        'processors:',
        '  normalize: {}',
        'exporters:',
        '  file:',
        `    path: ${JSON.stringify(output)}`,
        'service:',
        '  state:',
        `    directory: ${JSON.stringify(join(dir, 'state'))}`,
        '  pipelines:',
        '    logs:',
        '      receivers: [auditd]',
        '      processors: [normalize]',
        '      exporters: [file]',
        '',
      ].join('\n'),
    );
    const seen = (port: number) => () => (markerCounts(output).get(port) ?? 0) > 0;

    let watch: Watched = egressguard(['watch', '--config', configFile], dir);
    try {
      await watch.waitFor(
        'stderr',
        /receiver auditd: reading \/var\/log\/audit\/audit\.log from its end/,
        60_000,
      );
      marker(1);
      await until('marker 1 exported', seen(1), 60_000, () => watch.stderr);
      assert.equal(await watch.stop('SIGINT'), 0, watch.stderr);

      // While watch is down: a marker, a rotation (the only one: other tests on this machine read the log too), a
      // marker in the new file.
      marker(2);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await rotate();
      marker(3);

      watch = egressguard(['watch', '--config', configFile], dir);
      const resumed = await watch.waitFor('stderr', /receiver auditd: resumed (\S+)/, 60_000);
      t.diagnostic(`restart: ${resumed[0]}`);
      assert.match(
        resumed[1],
        /^\/var\/log\/audit\/audit\.log\.\d$/,
        'the restart resumes in the rotated file, where it stopped',
      );
      await until(
        'markers 2 and 3 exported (read after the restart, across the rotation)',
        () => seen(2)() && seen(3)(),
        60_000,
        () => watch.stderr,
      );
      marker(4);
      await until('marker 4 exported (in the new file, live)', seen(4), 60_000, () => watch.stderr);
      // A little longer, so that a duplicate would have arrived.
      await new Promise((resolve) => setTimeout(resolve, 2000));
      assert.equal(await watch.stop('SIGINT'), 0, watch.stderr);
      const counts = markerCounts(output);
      assert.deepEqual(
        [1, 2, 3, 4].map((p) => counts.get(p) ?? 0),
        [1, 1, 1, 1],
        `each marker once: ${JSON.stringify([...counts])}`,
      );
    } finally {
      await watch.stop('SIGTERM');
    }
  });
});
