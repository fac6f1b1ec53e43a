/**
 * The scenario generator against the real OS: a short flood recorded live (network namespace, ss, auditd, the eBPF
 * tracer), then replayed through the default chain: the implant is caught and nothing benign is.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { assertRecordsConserved } from '@egressguard/core/testing';

import { takeHostLock } from '../host-lock.ts';
import { SENSOR_SETS, evaluateScenario } from './lib/evaluate.ts';
import type { ScenarioLabels } from './lib/score.ts';

function has(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const missing = [
  process.platform !== 'linux' ? 'Linux' : '',
  process.getuid?.() !== 0 ? 'root' : '',
  ...['ip', 'ss', 'perl', 'curl', 'wget', 'bpftrace', 'auditctl', 'auditd'].filter((c) => !has(c)),
  existsSync('/sys/kernel/btf/vmlinux') ? '' : 'kernel BTF',
].filter(Boolean);
const skip = missing.length > 0 ? `the live scenario needs ${missing.join(', ')}` : false;

describe('a scenario recorded live', { skip }, () => {
  const out = mkdtempSync(join(tmpdir(), 'egressguard-live-'));
  let release: (() => void) | undefined;
  before(async () => {
    release = await takeHostLock('a scenario recorded live');
  });
  after(() => {
    rmSync(out, { recursive: true, force: true });
    release?.();
  });

  it('records a short flood with real sensors, and the default chain catches the implant and nothing else', async () => {
    const generator = spawn(
      process.execPath,
      [
        '--experimental-strip-types',
        '--disable-warning=ExperimentalWarning',
        join(import.meta.dirname, 'generate.ts'),
        '--out',
        out,
        '--duration-s',
        '15',
        'flood',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    generator.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => generator.on('exit', resolve));
    assert.equal(code, 0, stderr);

    const dir = join(out, 'flood');
    const labels = JSON.parse(readFileSync(join(dir, 'labels.json'), 'utf8')) as ScenarioLabels;
    const implant = labels.actors.find((a) => a.name === 'flood-implant')!;
    assert.equal(implant.pids.length, 1);
    const pid = implant.pids[0];

    // The tracer saw the implant's connections with exact bytes; auditd saw its execve; ss polled throughout.
    const traced = readFileSync(join(dir, 'tcplife.csv'), 'utf8')
      .split('\n')
      .filter((l) => l.split(',')[1] === String(pid));
    assert.ok(traced.length >= 90, `the tracer saw ${traced.length} of the implant's 100 connections`);
    assert.ok(
      traced.every((l) => Number(l.split(',')[8]) > 0),
      'every traced connection has bytes received',
    );
    assert.match(
      readFileSync(join(dir, 'auditd-exec.log'), 'utf8'),
      new RegExp(`pid=${pid} .*exe="${implant.executable}"`),
    );
    assert.match(readFileSync(join(dir, 'ss.txt'), 'utf8'), /^# egressguard-ss-poll \d+$/m);

    const score = await evaluateScenario('flood', SENSOR_SETS[0], out);
    assert.deepEqual(score.truePositives, ['flood-implant']);
    assert.deepEqual(score.falsePositives, []);
    assertRecordsConserved(score.balance, 'live flood scenario');
  });
});
