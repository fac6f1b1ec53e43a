import assert from 'node:assert/strict';
import { existsSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { ProcfsReader, parseProcStat } from '../../src/internal/procfs-reader.ts';
import { FAKE_BTIME, fakeProcfs } from './fake-procfs.ts';

const CONTAINER = 'a'.repeat(40) + '0123456789abcdef01234567';

void describe('parseProcStat', () => {
  void it('reads a comm with spaces and parentheses', () => {
    const s = parseProcStat('77 (my (odd) name) R 1 77 77 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 4242 0 0\n');
    assert.deepEqual(s, {
      pid: 77,
      comm: 'my (odd) name',
      state: 'R',
      ppid: 1,
      flags: 4194560,
      startTicks: 4242,
    });
  });
  void it('rejects a truncated line', () => {
    assert.equal(parseProcStat('77 (x) R 1'), undefined);
  });
});

void describe('ProcfsReader on a fake tree', () => {
  const root = fakeProcfs([
    {
      pid: 100,
      comm: 'kworkerd',
      ppid: 1,
      startTicks: 12_345,
      exe: '/tmp/.x/kworkerd (deleted)',
      argv: ['/tmp/.x/kworkerd', '-c', 'beacon'],
      uid: 1001,
      cgroup: `0::/system.slice/docker-${CONTAINER}.scope\n`,
    },
    { pid: 2, comm: 'kthreadd', ppid: 0, flags: 0x208040, startTicks: 0 },
    { pid: 300, comm: 'zombie', startTicks: 50 },
  ]);
  const passwd = join(root, 'passwd');
  writeFileSync(passwd, 'root:x:0:0:root:/root:/bin/bash\nmallory:x:1001:1001::/home/m:/bin/sh\n');
  const reader = new ProcfsReader({ root, passwdPath: passwd, clockTicksPerSecond: 100 });
  after(() => rmSync(root, { recursive: true, force: true }));

  void it('reads a process: deleted executable, command line, user, parent, start, container', () => {
    const p = reader.read(100);
    assert.ok(p);
    assert.equal(p.executablePath, '/tmp/.x/kworkerd');
    assert.equal(p.executableDeleted, true);
    assert.equal(p.commandLine, '/tmp/.x/kworkerd -c beacon');
    assert.equal(p.uid, 1001);
    assert.equal(p.owner, 'mallory');
    assert.equal(p.ppid, 1);
    assert.equal(p.startMs, FAKE_BTIME * 1000 + 123_450);
    assert.equal(p.creationTime, new Date(FAKE_BTIME * 1000 + 123_450).toISOString());
    assert.equal(p.containerId, CONTAINER);
    assert.equal(p.kernelThread, false);
  });

  void it('marks a kernel thread (PF_KTHREAD) and gives it no executable or command line', () => {
    const p = reader.read(2);
    assert.equal(p?.kernelThread, true);
    assert.equal(p?.executablePath, undefined);
    assert.equal(p?.commandLine, undefined);
  });

  void it('leaves the executable absent when /proc/<pid>/exe cannot be read', () => {
    const p = reader.read(300);
    assert.equal(p?.kernelThread, false);
    assert.equal(p?.executablePath, undefined);
  });

  void it('answers from its cache while the pid keeps its start time', () => {
    const before = reader.reads;
    reader.read(100);
    assert.equal(reader.reads, before);
    assert.ok(reader.cacheHits > 0);
  });

  void it('returns nothing for a pid that does not exist', () => {
    assert.equal(reader.read(99_999), undefined);
  });
});

void describe(
  'ProcfsReader on the real /proc',
  { skip: existsSync('/proc/self/stat') ? false : 'needs /proc' },
  () => {
    void it('reads this very process', () => {
      const reader = new ProcfsReader();
      const p = reader.read(process.pid);
      assert.ok(p);
      assert.equal(p.executablePath, readlinkSync('/proc/self/exe'));
      assert.equal(p.ppid, process.ppid);
      assert.ok(p.commandLine?.includes('--test') || p.commandLine?.includes('procfs-reader'));
      assert.equal(p.uid, process.geteuid?.());
      // Started before now and, for a test process, less than ten minutes ago (boot time known to the second).
      assert.ok(p.startMs <= Date.now() + 1_000 && p.startMs > Date.now() - 600_000);
    });
  },
);
