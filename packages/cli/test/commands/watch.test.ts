/**
 * `egressguard watch` as a user runs it: the fallback receiver (procfs, which needs no privilege) end to end, the
 * configuration it prints, and usage errors. The eBPF and auditd receivers are tested live in the repository's
 * `test/watch/`.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { collect, runCli, startCli } from '../support/cli.ts';

const skip = process.platform === 'linux' ? false : 'watch reads /proc: Linux only';

async function listenOutsideEphemeral(): Promise<{ server: Server; port: number }> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 10_000);
    const server = createServer((s) => s.on('error', () => undefined));
    const ok = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (ok) return { server, port };
  }
  throw new Error('no free loopback port between 20000 and 30000');
}

describe('egressguard watch', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'egressguard-watch-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('--print-config prints a configuration that validate accepts, with the receiver asked for', async () => {
    const printed = await runCli(['watch', '--print-config', '--receiver', 'auditd', '--audit-rules'], {
      cwd: dir,
    });
    assert.equal(printed.code, 0, printed.stderr);
    assert.match(printed.stdout, /receivers:\n {2}auditd:\n {4}rules:\n {6}install: true/);
    assert.match(printed.stdout, /idle_flush_ms: 5000/);
    const file = join(dir, 'printed.yaml');
    writeFileSync(file, printed.stdout);
    const validated = await runCli(['validate', file], { cwd: dir });
    assert.equal(validated.code, 0, validated.stderr);
  });

  it('rejects an unknown receiver and a configuration with an OTLP receiver', async () => {
    const bad = await runCli(['watch', '--receiver', 'netflow'], { cwd: dir });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--receiver netflow: expected auto, ebpf, auditd, procfs/);
    const otlp = join(dir, 'otlp.yaml');
    writeFileSync(
      otlp,
      'receivers:\n  otlp: {}\nexporters:\n  stdout: {}\nservice:\n  pipelines:\n    logs:\n      receivers: [otlp]\n      exporters: [stdout]\n',
    );
    const wrong = await runCli(['watch', '--config', otlp], { cwd: dir });
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /watch runs only the ebpf, auditd and procfs receivers \(found otlp\)/);
  });

  it('watches with procfs: says what it cannot see, and reports the missing bytes in the blind-spot table', async () => {
    const { server, port } = await listenOutsideEphemeral();
    const child = startCli(['watch', '--receiver', 'procfs', '--state', join(dir, 'state')], { cwd: dir });
    const done = collect(child);
    let stderr = '';
    child.stderr.on('data', (d: string) => (stderr += d));
    try {
      const deadline = Date.now() + 60_000;
      while (!/watching \S+ with procfs[\s\S]*detections are printed/.test(stderr) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.match(
        stderr,
        /procfs cannot see: Connections opened and closed between two polls are never seen/,
      );
      // A connection held open across several polls.
      const client = connect(port, '127.0.0.1');
      await new Promise<void>((resolve) => client.once('connect', () => resolve()));
      await new Promise((r) => setTimeout(r, 2000));
      client.destroy();
      child.kill('SIGINT');
      const result = await done;
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /Blind spots/);
      // At least our connection, and none of procfs's connections has bytes.
      const row = /^\S+\s+procfs\s+([\d,]+)\s+\S+ \(\d+%\)\s+([\d,]+) \(100%\)/m.exec(result.stdout);
      assert.ok(row, result.stdout);
      assert.ok(Number(row[1].replaceAll(',', '')) >= 1);
      assert.match(result.stderr, /procfs: \{.*"records_delivered":[1-9]/);
    } finally {
      child.kill('SIGKILL');
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
