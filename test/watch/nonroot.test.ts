/**
 * `egressguard watch` run by an ordinary user (uid 65534 through setpriv): it says what it needs, skips eBPF and
 * the audit log naming why, and falls back to procfs.
 */
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { Watched, has } from './lib.ts';

const BIN = join(import.meta.dirname, '..', '..', 'packages', 'cli', 'src', 'bin.ts');
const missing = [
  process.platform !== 'linux' ? 'Linux' : '',
  process.getuid?.() !== 0 ? 'root (to switch to another user)' : '',
  has('setpriv') ? '' : 'setpriv',
].filter(Boolean);
const skip = missing.length > 0 ? `the unprivileged watch test needs ${missing.join(', ')}` : false;

describe('egressguard watch without root', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'egw-watch-nonroot-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('says what it needs and falls back to procfs', async () => {
    // The node binary may live where the other user cannot reach it (root's home): a copy it can run.
    chmodSync(dir, 0o755);
    const node = join(dir, 'node');
    copyFileSync(process.execPath, node);
    chmodSync(node, 0o755);
    const cwd = join(dir, 'cwd');
    mkdirSync(cwd);
    chmodSync(cwd, 0o777);
    const watch = new Watched(
      'setpriv',
      [
        '--reuid=65534',
        '--regid=65534',
        '--clear-groups',
        node,
        '--experimental-strip-types',
        '--disable-warning=ExperimentalWarning',
        '--conditions=egressguard-source',
        BIN,
        'watch',
      ],
      { cwd },
    );
    try {
      await watch.waitFor(
        'stderr',
        /watching \S+ with procfs[\s\S]*detections are printed as they fire/,
        60_000,
      );
      assert.match(watch.stderr, /not running as root: eBPF and the audit log need root/);
      assert.match(watch.stderr, /ebpf: unavailable: eBPF needs root/);
      assert.match(
        watch.stderr,
        /auditd: unavailable: .* (is not readable \(needs root or the adm group\)|does not exist)/,
      );
      assert.match(
        watch.stderr,
        /procfs cannot see: Not root: the sockets of other users’ processes are seen/,
      );
      assert.equal(await watch.stop('SIGINT'), 0, watch.stderr);
      assert.match(watch.stdout, /Blind spots/);
    } finally {
      await watch.stop('SIGKILL');
    }
  });
});
